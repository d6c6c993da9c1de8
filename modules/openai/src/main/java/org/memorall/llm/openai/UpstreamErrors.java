package org.memorall.llm.openai;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;

/**
 * Turns what went wrong with the upstream into the runtime's errors: HTTP error answers keep the upstream's
 * status and OpenAI error fields; transport failures and timeouts get 503/504/502 with codes of their own.
 * Messages name the base URL (without its query) and never contain the API key.
 */
final class UpstreamErrors {

  static final String UNAVAILABLE = "upstream_unavailable";
  static final String TIMEOUT = "upstream_timeout";
  static final String STREAM_BROKEN = "upstream_stream_broken";
  static final String MALFORMED = "upstream_malformed";
  /** How much of an error body is kept: enough for any error object, bounded against a runaway upstream. */
  static final int MAX_ERROR_BODY = 64 * 1024;

  private final OpenAiConfig config;

  UpstreamErrors(OpenAiConfig config) {
    this.config = config;
  }

  /** An error answer (status not 2xx) with its body; Retry-After is kept for 429 and 503. */
  ServiceException fromResponse(int status, MultiMap headers, Buffer body) {
    int code = status >= 400 && status <= 599 ? status : 502;
    ServiceException e = fromErrorBody(code, body, upstream() + " answered HTTP " + status, null);
    long retryAfter = (status == 429 || status == 503) ? retryAfterMs(headers, System.currentTimeMillis()) : -1;
    return retryAfter >= 0 ? LlmErrors.withRetryAfter(e, retryAfter) : e;
  }

  /** A streaming request answered with a JSON body: an error object, or a server that cannot stream. */
  ServiceException notAStream(Buffer body) {
    return fromErrorBody(502, body, upstream() + " answered a streaming request with JSON instead of an event stream", MALFORMED);
  }

  /** An event {@code {"error": ...}} in the middle of a stream. */
  ServiceException streamError(JsonObject event) {
    Object error = event.getValue("error");
    return error instanceof JsonObject ? fromErrorObject((JsonObject) error, 502, true)
      : fromErrorBody(502, event.toBuffer(), upstream() + " reported an error in the stream", null);
  }

  /**
   * The OpenAI error object in {@code body} (or Ollama's {@code {"error":"text"}}), else {@code fallback} quoting
   * the body, with {@code fallbackCode}.
   */
  private ServiceException fromErrorBody(int status, Buffer body, String fallback, String fallbackCode) {
    Object error = null;
    try {
      Object json = body == null || body.length() == 0 ? null : body.toJsonValue();
      error = json instanceof JsonObject ? ((JsonObject) json).getValue("error") : null;
    } catch (DecodeException | IllegalStateException e) {
      // Not JSON: the fallback message quotes the text.
    }
    if (error instanceof JsonObject) {
      return fromErrorObject((JsonObject) error, status, false);
    }
    if (error instanceof String) {
      return error(status, defaultType(status), null, null, (String) error);
    }
    String text = body == null ? "" : body.toString().strip();
    String excerpt = text.isEmpty() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    return error(status, defaultType(status), null, fallbackCode, fallback + excerpt);
  }

  /**
   * An OpenAI error object: its message, type, param and code are kept. In a stream, where no HTTP status tells
   * what happened, the object's own {@code status} (or a numeric {@code code} that is an HTTP status, as some
   * gateways send) wins over {@code status}.
   */
  private ServiceException fromErrorObject(JsonObject error, int status, boolean inStream) {
    Object ownStatus = error.getValue("status");
    Object code = error.getValue("code");
    int s = !inStream ? status : isHttpError(ownStatus) ? ((Number) ownStatus).intValue()
      : isHttpError(code) ? ((Number) code).intValue() : status;
    Object message = error.getValue("message");
    Object type = error.getValue("type");
    Object param = error.getValue("param");
    return error(s, type instanceof String ? (String) type : defaultType(s), param == null ? null : String.valueOf(param),
      code == null ? null : String.valueOf(code),
      message instanceof String ? (String) message : upstream() + " reported an error: " + error.encode());
  }

  /**
   * A failure to get an answer at all: connection refused or reset, unknown host, TLS failure, connect timeout.
   * {@code connected}: the request had a connection, which was lost before the answer began.
   */
  ServiceException transport(Throwable t, boolean connected) {
    if (!connected && isTimeout(t)) {
      return connectTimeout();
    }
    String reason = t instanceof UnknownHostException ? "unknown host " + t.getMessage()
      : t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return error(503, "server_error", null, UNAVAILABLE, (connected ? "Lost the connection to the " : "Cannot reach the ")
      + config.type + " upstream at " + config.displayUrl() + ": " + reason);
  }

  /** What a cancelled request ends with (its consumer is usually gone and never sees it). */
  ServiceException cancelled() {
    return LlmErrors.of(400, "invalid_request_error", null, "cancelled", "The request was cancelled");
  }

  ServiceException connectTimeout() {
    return error(504, "server_error", null, TIMEOUT, "Could not connect to the " + config.type + " upstream at "
      + config.displayUrl() + " within " + config.timeouts.connectMs + " ms (timeouts.connectMs)");
  }

  ServiceException timeout(String what, String setting, long ms) {
    return error(504, "server_error", null, TIMEOUT, upstream() + " " + what + " within " + ms + " ms (timeouts." + setting + ")");
  }

  ServiceException broken(String what) {
    return error(502, "server_error", null, STREAM_BROKEN, upstream() + " " + what);
  }

  ServiceException malformed(String what) {
    return error(502, "server_error", null, MALFORMED, upstream() + " " + what);
  }

  /**
   * Milliseconds from {@code retry-after-ms} (OpenAI's precise hint) or {@code Retry-After} (seconds or an HTTP
   * date), or -1 when neither is usable.
   */
  static long retryAfterMs(MultiMap headers, long nowMs) {
    String ms = headers.get("retry-after-ms");
    if (ms != null) {
      try {
        double v = Double.parseDouble(ms.trim());
        if (v >= 0 && !Double.isInfinite(v)) {
          return (long) Math.ceil(v);
        }
      } catch (NumberFormatException e) {
        // Fall back to Retry-After.
      }
    }
    String value = headers.get("Retry-After");
    if (value == null || value.isBlank()) {
      return -1;
    }
    value = value.trim();
    try {
      double seconds = Double.parseDouble(value);
      return seconds >= 0 && !Double.isInfinite(seconds) ? (long) Math.ceil(seconds * 1000) : -1;
    } catch (NumberFormatException e) {
      try {
        long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        return Math.max(0, at - nowMs);
      } catch (DateTimeParseException e2) {
        return -1;
      }
    }
  }

  /** "The lmstudio upstream at http://localhost:1234/v1", the subject of most messages. */
  private String upstream() {
    return "The " + config.type + " upstream at " + config.displayUrl();
  }

  private ServiceException error(int status, String type, String param, String code, String message) {
    return LlmErrors.of(status, type, param, code, scrub(message));
  }

  /** An upstream that echoes the key must not make us show it. */
  private String scrub(String message) {
    return config.apiKey == null || message == null ? message : message.replace(config.apiKey, "***");
  }

  private static boolean isTimeout(Throwable t) {
    // Netty's ConnectTimeoutException is a ConnectException; the pool's wait fails with a TimeoutException.
    return t instanceof TimeoutException || t instanceof ConnectException && t.getClass().getSimpleName().contains("Timeout");
  }

  private static boolean isHttpError(Object v) {
    return (v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 400 && ((Number) v).longValue() <= 599;
  }

  private static String defaultType(int status) {
    return status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  }
}
