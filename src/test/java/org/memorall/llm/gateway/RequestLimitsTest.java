package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Messages and characters per request (400 naming messages), and an LLM's max_tokens cap (clamped). */
@ExtendWith(VertxExtension.class)
class RequestLimitsTest {

  private static final String CHAT = "/v1/chat/completions";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject llms = TestNode.defaultLlms().put("capped", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("maxTokensCap", 3)));
    JsonObject config = TestNode.config(llms)
      .put("limits", new JsonObject().put("maxMessages", 3).put("maxChars", 40));
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  private static JsonObject chat(List<String> contents) {
    JsonArray messages = new JsonArray();
    contents.forEach(c -> messages.add(new JsonObject().put("role", "user").put("content", c)));
    return new JsonObject().put("messages", messages).put("max_tokens", 1).put("temperature", 0);
  }

  @Test
  void tooManyMessagesIs400() {
    Http.json(http.post(CHAT, chat(List.of("a", "b", "c"))), 200);
    JsonObject error = Http.error(http.post(CHAT, chat(List.of("a", "b", "c", "d"))), 400);
    assertEquals("messages", error.getString("param"));
    assertEquals("too_many_messages", error.getString("code"));
    assertTrue(error.getString("message").contains("at most 3"), error.getString("message"));
    // The per-LLM URL has the same limits.
    Http.error(http.post("/llms/default" + CHAT, chat(List.of("a", "b", "c", "d"))), 400);
  }

  @Test
  void embeddingInputOverMaxCharsIs400() {
    JsonObject within = Http.error(http.post("/v1/embeddings", new JsonObject()
      .put("input", new JsonArray().add("x".repeat(20)).add("y".repeat(20)))), 400);
    assertEquals("embeddings_not_supported", within.getString("code"), "within the limit: on to the (chat) LLM");
    JsonObject error = Http.error(http.post("/v1/embeddings", new JsonObject()
      .put("input", new JsonArray().add("x".repeat(20)).add("y".repeat(21)))), 400);
    assertEquals("input", error.getString("param"));
    assertEquals("input_too_long", error.getString("code"));
    assertTrue(error.getString("message").contains("at most 40"), error.getString("message"));
  }

  @Test
  void tooManyCharactersIs400() {
    Http.json(http.post(CHAT, chat(List.of("x".repeat(20), "y".repeat(20)))), 200);
    JsonObject error = Http.error(http.post(CHAT, chat(List.of("x".repeat(20), "y".repeat(21)))), 400);
    assertEquals("messages", error.getString("param"));
    assertEquals("messages_too_long", error.getString("code"));
    // Text parts count as well.
    JsonObject parts = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
      .put("content", new JsonArray().add(new JsonObject().put("type", "text").put("text", "z".repeat(41))))));
    assertEquals("messages_too_long", Http.error(http.post(CHAT, parts), 400).getString("code"));
    // Streams are checked before they start.
    Http.error(http.post(CHAT, chat(List.of("x".repeat(41))).put("stream", true)), 400);
  }

  @Test
  void maxTokensAboveTheCapIsClamped() {
    JsonObject request = Http.chat("Once upon a time", 20).put("model", "capped").put("ignore_eos", true);
    JsonObject completion = Http.json(http.post(CHAT, request), 200);
    assertEquals(3, completion.getJsonObject("usage").getInteger("completion_tokens"), completion::encode);
    assertEquals("length", completion.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
    // max_completion_tokens too, and a request that asks for no limit gets the cap.
    request.remove("max_tokens");
    JsonObject unasked = Http.json(http.post(CHAT, request), 200);
    assertEquals(3, unasked.getJsonObject("usage").getInteger("completion_tokens"), unasked::encode);
    JsonObject newer = Http.json(http.post(CHAT, request.copy().put("max_completion_tokens", 50)), 200);
    assertEquals(3, newer.getJsonObject("usage").getInteger("completion_tokens"), newer::encode);
    // Below the cap, the request's own limit holds.
    JsonObject fewer = Http.json(http.post(CHAT, request.copy().put("max_tokens", 2)), 200);
    assertEquals(2, fewer.getJsonObject("usage").getInteger("completion_tokens"), fewer::encode);
  }

  @Test
  void streamsAreClampedToo() {
    JsonObject request = Http.chat("Once upon a time", 20).put("model", "capped").put("ignore_eos", true)
      .put("stream", true).put("stream_options", new JsonObject().put("include_usage", true));
    String body = http.post(CHAT, request).body();
    assertTrue(body.contains("\"completion_tokens\":3"), body);
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
  }

  @Test
  void badCapIs400OnCreate() {
    for (Object cap : new Object[]{0, "10", 1.5}) {
      JsonObject error = Http.error(http.post("/llms", new JsonObject().put("name", "bad-cap").put("type", "llamacpp")
        .put("config", new JsonObject().put("maxTokensCap", cap))), 400);
      assertTrue(error.getString("message").contains("maxTokensCap"), error::encode);
    }
  }
}
