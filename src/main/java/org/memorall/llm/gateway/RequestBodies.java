package org.memorall.llm.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.LlmErrors;

/** Reads request bodies as JSON objects, failing with a 400 in the OpenAI shape. */
final class RequestBodies {

  private RequestBodies() {
  }

  /** The body as a JSON object; throws a 400 ServiceException when it is missing, malformed or not an object. */
  static JsonObject object(RoutingContext ctx) {
    JsonObject json = objectOrNull(ctx);
    if (json == null) {
      throw LlmErrors.of(400, "invalid_request_error", null, "invalid_json",
        "The request body is empty; expected a JSON object");
    }
    return json;
  }

  /** Like {@link #object}, but an empty body is an empty object. */
  static JsonObject objectOrEmpty(RoutingContext ctx) {
    JsonObject json = objectOrNull(ctx);
    return json == null ? new JsonObject() : json;
  }

  private static JsonObject objectOrNull(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.toString().isBlank()) {
      return null;
    }
    Object value;
    try {
      value = Json.decodeValue(buffer);
    } catch (DecodeException e) {
      throw LlmErrors.of(400, "invalid_request_error", null, "invalid_json",
        "The request body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!(value instanceof JsonObject)) {
      throw LlmErrors.of(400, "invalid_request_error", null, "invalid_json", "The request body must be a JSON object");
    }
    return (JsonObject) value;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    String line = message.lines().findFirst().orElse(message);
    // The parser quotes the body itself; keep the reason, not a copy of what the client sent.
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
