package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests get the right status and the OpenAI error object, with the offending field named. */
@ExtendWith(VertxExtension.class)
class GatewayErrorsTest {

  private static final int BODY_LIMIT = 64 * 1024;
  private static final String CHAT = "/v1/chat/completions";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject config = TestNode.config(TestNode.defaultLlms());
    config.getJsonObject("http").put("maxBodyBytes", BODY_LIMIT);
    config.put("queue", new JsonObject().put("maxQueue", 1));
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void malformedJsonIs400() {
    JsonObject error = Http.error(http.post(CHAT, "{\"messages\": ["), 400);
    assertEquals("invalid_request_error", error.getString("type"));
    Http.error(http.post(CHAT, "[1, 2]"), 400);
    Http.error(http.post(CHAT, ""), 400);
  }

  @Test
  void badFieldsAre400NamingTheField() {
    assertParam(new JsonObject().put("messages", "hello"), "messages");
    assertParam(Http.chat("Hi", 8).put("temperature", "hot"), "temperature");
    assertParam(Http.chat("Hi", 8).put("max_tokens", -1), "max_tokens");
    JsonObject unknownRole = new JsonObject().put("messages", new io.vertx.core.json.JsonArray()
      .add(new JsonObject().put("role", "wizard").put("content", "Hi")));
    assertParam(unknownRole, "messages[0].role");
    // Streaming requests fail the same way: the error comes before any event.
    assertParam(Http.chat("Hi", 8).put("stream", true).put("top_p", 7), "top_p");
  }

  @Test
  void unknownLlmIs404NamingTheAvailableOnes() {
    for (HttpResponse<String> response : List.of(
      http.post(CHAT, Http.chat("Hi", 8).put("model", "nope")),
      http.post(CHAT, Http.chat("Hi", 8).put("model", "nope").put("stream", true)),
      http.post("/llms/nope/v1/chat/completions", Http.chat("Hi", 8)),
      http.get("/llms/nope"),
      http.delete("/llms/nope"),
      http.get("/llms/nope/models"))) {
      JsonObject error = Http.error(response, 404);
      assertTrue(error.getString("message").contains("Available: default"), error::encode);
    }
  }

  @Test
  void createConflictsAndUnknownTypes() {
    JsonObject duplicate = new JsonObject().put("name", "default").put("type", "llamacpp");
    assertEquals("name", Http.error(http.post("/llms", duplicate), 409).getString("param"));

    JsonObject unknown = new JsonObject().put("name", "other").put("type", "no-such-type");
    JsonObject error = Http.error(http.post("/llms", unknown), 400);
    assertEquals("type", error.getString("param"));
    assertTrue(error.getString("message").contains("Available types:") && error.getString("message").contains("llamacpp"),
      error::encode);

    assertEquals("name", Http.error(http.post("/llms", new JsonObject().put("type", "llamacpp")), 400).getString("param"));
    assertEquals("type", Http.error(http.post("/llms", new JsonObject().put("name", "x").put("type", 5)), 400)
      .getString("param"));
    assertEquals("config", Http.error(http.post("/llms", duplicate.copy().put("name", "y").put("config", "big")), 400)
      .getString("param"));
    JsonObject badConfig = duplicate.copy().put("name", "z").put("config", new JsonObject().put("parallel", 0));
    JsonObject configError = Http.error(http.post("/llms", badConfig), 400);
    assertEquals("config", configError.getString("param"));
    assertTrue(configError.getString("message").contains("parallel"), configError::encode);
  }

  @Test
  void aFullQueueIs429BeforeAnyEvent() throws Exception {
    Http.json(http.post("/llms", new JsonObject().put("name", "busy").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);
    String stream = Http.chat("Once upon a time", 2000).put("stream", true).encode();
    try (RawHttp running = RawHttp.post(http.port, "/llms/busy/v1/chat/completions", stream);
         RawHttp queued = RawHttp.post(http.port, "/llms/busy/v1/chat/completions", stream)) {
      running.readUntil("data: ", 1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (Http.json(http.get("/llms/busy"), 200).getInteger("queued") < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      HttpResponse<String> refused = http.post("/llms/busy/v1/chat/completions", stream);
      assertEquals("rate_limit_error", Http.error(refused, 429).getString("type"));
      assertEquals("1", refused.headers().firstValue("retry-after").orElse(null));
    } finally {
      Http.json(http.delete("/llms/busy"), 200);
    }
  }

  @Test
  void bodyOverTheLimitIs413() {
    String big = Http.chat("x".repeat(BODY_LIMIT + 1), 8).encode();
    JsonObject error = Http.error(http.post(CHAT, big), 413);
    assertTrue(error.getString("message").contains(String.valueOf(BODY_LIMIT)), error::encode);
  }

  @Test
  void unknownRouteIs404AndWrongMethodIs405() {
    Http.error(http.get("/v1/nothing"), 404);
    Http.error(http.get("/nothing"), 404); // "/" is the playground page
    Http.error(http.get(CHAT), 405);
    Http.error(http.post("/", "{}"), 405);
    Http.error(http.send(http.request("/v1/models").DELETE().build()), 405);
    Http.error(http.send(http.request("/llms/default").PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 405);
  }

  private static void assertParam(JsonObject request, String param) {
    JsonObject error = Http.error(http.post(CHAT, request), 400);
    assertEquals(param, error.getString("param"), error::encode);
    assertEquals("invalid_request_error", error.getString("type"));
  }
}
