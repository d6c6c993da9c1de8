package org.memorall.llm.api;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.util.Collection;

/**
 * Errors cross the event bus as {@link ServiceException}: the failure code is the HTTP status, the debug info
 * carries the rest of the OpenAI error object ({@code type}, {@code param}, {@code code}). The gateway maps
 * them to HTTP in one place.
 */
public final class LlmErrors {

  /** Debug-info field: milliseconds the caller should wait before retrying. */
  public static final String RETRY_AFTER_MS = "retryAfterMs";
  /** Error code: this LLM does not do embeddings. */
  public static final String EMBEDDINGS_NOT_SUPPORTED = "embeddings_not_supported";
  /**
   * Error code: a part of the request this LLM cannot honour (tools or an image sent to a local model); the registry
   * tries the LLM's fallbacks with it.
   */
  public static final String UNSUPPORTED_PARAMETER = "unsupported_parameter";
  /** Error code: no LLM (or model) of that name. */
  public static final String MODEL_NOT_FOUND = "model_not_found";
  /** The message of {@link #embeddingsNotSupported} when the provider gives none. */
  public static final String NO_EMBEDDINGS = "This LLM does not do embeddings";

  private LlmErrors() {
  }

  public static ServiceException of(int status, String type, String param, String code, String message) {
    JsonObject info = new JsonObject().put("type", type);
    if (param != null) {
      info.put("param", param);
    }
    if (code != null) {
      info.put("code", code);
    }
    return new ServiceException(status, message, info);
  }

  public static ServiceException invalidField(String param, String message) {
    return of(400, "invalid_request_error", param, "invalid_value", message);
  }

  public static ServiceException badRequest(String message) {
    return of(400, "invalid_request_error", null, null, message);
  }

  public static ServiceException notFound(String name, Collection<String> available) {
    String list = available.isEmpty() ? "none" : String.join(", ", available);
    return of(404, "invalid_request_error", "model", MODEL_NOT_FOUND,
      "LLM '" + name + "' not found. Available: " + list);
  }

  public static ServiceException modelNotFound(String modelId, Collection<String> available) {
    String list = available.isEmpty() ? "none" : String.join(", ", available);
    return of(404, "invalid_request_error", "model", MODEL_NOT_FOUND,
      "Model '" + modelId + "' not found. Available: " + list);
  }

  public static ServiceException conflict(String message) {
    return of(409, "invalid_request_error", "name", "already_exists", message);
  }

  public static ServiceException overloaded(String message) {
    return of(429, "rate_limit_error", null, "queue_full", message);
  }

  public static ServiceException unavailable(String message) {
    return of(503, "server_error", null, "llm_unavailable", message);
  }

  public static ServiceException timeout(String message) {
    return of(504, "server_error", null, "timeout", message);
  }

  public static ServiceException unsupported(String message) {
    return of(400, "invalid_request_error", null, "unsupported", message);
  }

  /**
   * 400 for embeddings asked of an LLM that cannot make them; {@code message} null for the runtime's own wording,
   * which names the LLM and its type.
   */
  public static ServiceException embeddingsNotSupported(String message) {
    return of(400, "invalid_request_error", "model", EMBEDDINGS_NOT_SUPPORTED,
      message != null ? message : NO_EMBEDDINGS);
  }

  public static ServiceException internal(String message) {
    return of(500, "server_error", null, null, message);
  }

  /** Any failure as a ServiceException: event-bus timeouts and missing handlers get their own status. */
  public static ServiceException from(Throwable t) {
    if (t instanceof ServiceException) {
      return (ServiceException) t;
    }
    if (t instanceof ReplyException) {
      ReplyException r = (ReplyException) t;
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        return timeout("The LLM did not answer in time");
      }
      if (r.failureType() == ReplyFailure.NO_HANDLERS) {
        return unavailable("The LLM is not available (no provider is listening)");
      }
      String message = r.getMessage();
      if (message != null && message.startsWith("{")) {
        // A provider's failure reply: the error object encoded by toJson.
        return fromJson(new JsonObject(message));
      }
      return of(r.failureCode() >= 400 && r.failureCode() < 600 ? r.failureCode() : 500,
        "server_error", null, null, message);
    }
    if (t instanceof IllegalArgumentException) {
      return badRequest(t.getMessage());
    }
    return internal(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
  }

  /**
   * The failure as it travels inside a stream's terminal message or a failed reply: status, message and every
   * field of the debug info (type, param, code, and extras such as {@code retryAfterMs}).
   */
  public static JsonObject toJson(Throwable t) {
    ServiceException e = from(t);
    JsonObject json = e.getDebugInfo() == null ? new JsonObject() : e.getDebugInfo().copy();
    return json.put("status", e.failureCode()).put("message", e.getMessage())
      .put("type", json.getString("type", "server_error"));
  }

  /** Answers {@code message} with the failure, keeping its status, type, param and code. */
  public static void fail(io.vertx.core.eventbus.Message<?> message, Throwable t) {
    JsonObject error = toJson(t);
    message.fail(error.getInteger("status"), error.encode());
  }

  public static ServiceException fromJson(JsonObject error) {
    JsonObject info = error.copy();
    int status = info.getInteger("status", 500);
    String message = info.getString("message", "Unknown error");
    info.remove("status");
    info.remove("message");
    return new ServiceException(status, message, info);
  }

  /** How long the failed party asked us to wait before retrying (a {@code Retry-After}), or -1. */
  public static long retryAfterMs(ServiceException e) {
    return e.getDebugInfo() == null ? -1 : e.getDebugInfo().getLong(RETRY_AFTER_MS, -1L);
  }

  /** {@code e} with a retry hint, sent as {@code Retry-After} by the gateway. */
  public static ServiceException withRetryAfter(ServiceException e, long ms) {
    JsonObject info = e.getDebugInfo() == null ? new JsonObject() : e.getDebugInfo().copy();
    return new ServiceException(e.failureCode(), e.getMessage(), info.put(RETRY_AFTER_MS, ms));
  }

  /** The OpenAI error body {@code {"error":{"message","type","param","code"}}}. */
  public static JsonObject openAiBody(ServiceException e) {
    JsonObject info = e.getDebugInfo() == null ? new JsonObject() : e.getDebugInfo();
    return new JsonObject().put("error", new JsonObject()
      .put("message", e.getMessage())
      .put("type", info.getString("type", e.failureCode() >= 500 ? "server_error" : "invalid_request_error"))
      .put("param", info.getValue("param"))
      .put("code", info.getValue("code")));
  }
}
