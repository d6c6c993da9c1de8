package org.memorall.llm.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** JSON replies, and OpenAI's list shape. */
final class Responses {

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

  static JsonObject list(Iterable<?> data) {
    JsonArray array = new JsonArray();
    data.forEach(array::add);
    return new JsonObject().put("object", "list").put("data", array);
  }
}
