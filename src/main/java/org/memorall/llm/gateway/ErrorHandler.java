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
    ServiceException error = toServiceException(ctx);
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

  private ServiceException toServiceException(RoutingContext ctx) {
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
    if (failure != null) {
      return internal(ctx, failure);
    }
    String route = ctx.request().method() + " " + ctx.request().path();
    switch (ctx.statusCode()) {
      case 404:
        return LlmErrors.of(404, "invalid_request_error", null, "unknown_url", "Unknown URL: " + route);
      case 405:
        return LlmErrors.of(405, "invalid_request_error", null, "method_not_allowed",
          "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413:
        return LlmErrors.of(413, "invalid_request_error", null, "request_too_large",
          "The request body is larger than the limit of " + maxBodyBytes + " bytes");
      default:
        int status = ctx.statusCode() >= 400 && ctx.statusCode() < 600 ? ctx.statusCode() : 500;
        return LlmErrors.of(status, status >= 500 ? "server_error" : "invalid_request_error", null, null,
          "Request failed (" + route + ")");
    }
  }

  private static ServiceException internal(RoutingContext ctx, Throwable failure) {
    LOG.log(Level.SEVERE, "Internal error on " + ctx.request().method() + " " + ctx.request().path(), failure);
    return LlmErrors.internal("Internal server error");
  }
}
