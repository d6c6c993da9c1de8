package org.memorall.llm.gateway;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where failures become HTTP: a {@link ServiceException}'s failure code is the status, the body is
 * the OpenAI error object. Also answers the router's own failures (404, 405, 413). Only a failure that is not a
 * ServiceException is a 500, logged here and shown without its details.
 */
final class ErrorHandler implements Handler<RoutingContext> {

  private static final Logger LOG = Logger.getLogger(ErrorHandler.class.getName());

  private final long maxBodyBytes;

  ErrorHandler(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    handle(ctx, ctx.statusCode());
  }

  /**
   * The handler for the router's own failures with {@code status} that it reports without setting the context's
   * status, such as a path whose percent-encoding is invalid (400).
   */
  Handler<RoutingContext> forStatus(int status) {
    return ctx -> handle(ctx, ctx.statusCode() == -1 ? status : ctx.statusCode());
  }

  private void handle(RoutingContext ctx, int statusCode) {
    ServiceException error = toServiceException(ctx, statusCode);
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // A stream that already started reports its own errors; all that is left is to stop.
      if (!response.ended() && !response.closed()) {
        response.end();
      }
      return;
    }
    int status = error.failureCode();
    long retryAfterMs = LlmErrors.retryAfterMs(error);
    if (retryAfterMs >= 0 || status == 429 || status == 503) {
      // Without an estimate from the registry or upstream, one second lets a client back off without stalling.
      response.putHeader("Retry-After", String.valueOf(retryAfterMs >= 0 ? Math.max(1, (retryAfterMs + 999) / 1000) : 1));
    }
    Responses.json(response, status, LlmErrors.openAiBody(error));
  }

  private ServiceException toServiceException(RoutingContext ctx, int statusCode) {
    Throwable failure = ctx.failure();
    if (failure instanceof ServiceException) {
      ServiceException e = (ServiceException) failure;
      if (e.failureCode() == 500) {
        LOG.warning(() -> "Internal error on " + ctx.request().method() + " " + ctx.request().path() + ": " + e.getMessage());
      }
      if (e.failureCode() >= 400 && e.failureCode() < 600) {
        return e;
      }
      // A service proxy failure without a status is a bug in the service, not something the client did.
      return internal(ctx, failure);
    }
    if (failure instanceof ReplyException) {
      // Event-bus timeouts and missing handlers have their own statuses (504, 503).
      return LlmErrors.from(failure);
    }
    if (failure != null && !(statusCode >= 400 && statusCode < 500)) {
      return internal(ctx, failure);
    }
    // A client error found by the router or the body handler (e.g. a malformed form body, 400) is the client's.
    String route = ctx.request().method() + " " + ctx.request().path();
    switch (statusCode) {
      case 400:
        return LlmErrors.of(400, "invalid_request_error", null, "invalid_request",
          "Malformed request (" + route + "): " + (failure == null || failure.getMessage() == null
            ? "invalid URL or body" : failure.getMessage()));
      case 403:
        // The CORS handler's verdict on an origin that is not in cors.allowedOrigins.
        return LlmErrors.of(403, "invalid_request_error", null, "forbidden", "Forbidden (" + route + ")"
          + (failure == null || failure.getMessage() == null ? "" : ": " + failure.getMessage()));
      case 404:
        return LlmErrors.of(404, "invalid_request_error", null, "unknown_url", "Unknown URL: " + route);
      case 405:
        return LlmErrors.of(405, "invalid_request_error", null, "method_not_allowed",
          "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413:
        return LlmErrors.of(413, "invalid_request_error", null, "request_too_large",
          "The request body is larger than the limit of " + maxBodyBytes + " bytes");
      default:
        int status = statusCode >= 400 && statusCode < 600 ? statusCode : 500;
        return LlmErrors.of(status, status >= 500 ? "server_error" : "invalid_request_error", null, null,
          "Request failed (" + route + ")");
    }
  }

  private static ServiceException internal(RoutingContext ctx, Throwable failure) {
    LOG.log(Level.SEVERE, "Internal error on " + ctx.request().method() + " " + ctx.request().path(), failure);
    return LlmErrors.internal("Internal server error");
  }
}
