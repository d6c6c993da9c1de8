package org.memorall.llm.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmStream;

/** JSON replies, and OpenAI's list shape. */
final class Responses {

  static final String SERVED_BY_HEADER = "X-LLM-Served-By";
  /** Milliseconds a chat completion waited in its LLM's queue for a slot. */
  static final String QUEUE_WAIT_HEADER = "X-LLM-Queue-Wait-Ms";

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

  /**
   * {@code X-LLM-Served-By}: which LLM answers (it differs from the one asked for after a fallback), and for a chat
   * completion {@code X-LLM-Queue-Wait-Ms}: how long it waited for a slot.
   */
  static void servedBy(HttpServerResponse response, LlmStream<?> stream) {
    String name = stream.servedBy();
    if (name != null && !response.headWritten()) {
      response.putHeader(SERVED_BY_HEADER, name);
      Object waited = stream.meta().getValue(LlmStream.QUEUE_WAIT_MS);
      if (waited instanceof Number) {
        response.putHeader(QUEUE_WAIT_HEADER, waited.toString());
      }
    }
  }

  static JsonObject list(Iterable<?> data) {
    JsonArray array = new JsonArray();
    data.forEach(array::add);
    return new JsonObject().put("object", "list").put("data", array);
  }
}
