package org.memorall.llm.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmStream;

/** JSON replies, and OpenAI's list shape. */
final class Responses {

  static final String SERVED_BY_HEADER = "X-LLM-Served-By";

  private Responses() {
  }

  static void json(HttpServerResponse response, int status, JsonObject body) {
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status)
      .putHeader("Content-Type", "application/json; charset=utf-8")
      .end(body.toBuffer());
  }

  /** {@code X-LLM-Served-By}: which LLM answers (it differs from the one asked for after a fallback). */
  static void servedBy(HttpServerResponse response, LlmStream<?> stream) {
    String name = stream.servedBy();
    if (name != null && !response.headWritten()) {
      response.putHeader(SERVED_BY_HEADER, name);
    }
  }

  static JsonObject list(Iterable<?> data) {
    JsonArray array = new JsonArray();
    data.forEach(array::add);
    return new JsonObject().put("object", "list").put("data", array);
  }
}
