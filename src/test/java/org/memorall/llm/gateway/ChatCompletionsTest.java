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

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chat completions through the gateway, plain and streamed, on the real bundled model. */
@ExtendWith(VertxExtension.class)
class ChatCompletionsTest {

  static final String STORY = ", there was a little girl";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void completesWithTheDefaultLlm() {
    JsonObject body = Http.json(http.post("/v1/chat/completions", Http.chat("Once upon a time", 24)), 200);
    assertEquals("chat.completion", body.getString("object"));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertEquals("assistant", choice.getJsonObject("message").getString("role"));
    assertTrue(choice.getJsonObject("message").getString("content").startsWith(STORY), body::encode);
    assertNotNull(choice.getString("finish_reason"));
    assertTrue(body.getJsonObject("usage").getInteger("completion_tokens") > 0, body::encode);
  }

  @Test
  void whatALocalModelCannotDoIsRefusedNotIgnored() {
    JsonObject tool = new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "weather")
      .put("parameters", new JsonObject().put("type", "object")));
    JsonObject error = Http.error(http.post("/v1/chat/completions", Http.chat("Weather in Paris?", 8)
      .put("tools", new JsonArray().add(tool))), 400);
    assertEquals("tools", error.getString("param"));
    assertEquals("unsupported_parameter", error.getString("code"));
    assertTrue(error.getString("message").contains("cannot call tools"), error::encode);

    error = Http.error(http.post("/v1/chat/completions", Http.chat("Once upon a time", 8).put("logprobs", true)), 400);
    assertEquals("logprobs", error.getString("param"));

    JsonObject withImage = Http.chat("x", 8).put("messages", new JsonArray().add(new JsonObject().put("role", "user")
      .put("content", new JsonArray()
        .add(new JsonObject().put("type", "text").put("text", "What is in this picture?"))
        .add(new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", "data:image/png;base64,AA=="))))));
    error = Http.error(http.post("/v1/chat/completions", withImage), 400);
    assertEquals("messages[0].content[1]", error.getString("param"));
    assertTrue(error.getString("message").contains("'image_url'"), error::encode);

    // Empty tools, tools that may not be called, logprobs false, no top log probabilities and text parts are fine.
    JsonObject fine = Http.chat("x", 8).put("tools", new JsonArray().add(tool)).put("tool_choice", "none")
      .put("logprobs", false).put("top_logprobs", 0)
      .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", new JsonArray()
        .add(new JsonObject().put("type", "text").put("text", "Once upon")).add(new JsonObject().put("type", "text")
          .put("text", " a time")))));
    assertTrue(content(Http.json(http.post("/v1/chat/completions", fine), 200)).startsWith(STORY));
  }

  @Test
  void completesWithTheLlmNamedByModelOrPath() {
    JsonObject named = Http.json(http.post("/v1/chat/completions",
      Http.chat("Once upon a time", 12).put("model", "default")), 200);
    assertTrue(content(named).startsWith(STORY), named::encode);
    JsonObject byPath = Http.json(http.post("/llms/default/v1/chat/completions", Http.chat("Once upon a time", 12)), 200);
    assertTrue(content(byPath).startsWith(STORY), byPath::encode);
  }

  @Test
  void streamsServerSentEventsByteForByte() {
    JsonObject request = Http.chat("Once upon a time", 16).put("stream", true)
      .put("stream_options", new JsonObject().put("include_usage", true));
    HttpResponse<String> response = http.post("/v1/chat/completions", request.encode());
    assertEquals(200, response.statusCode(), response::body);
    assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("content-type").orElse(null));
    assertEquals("no-cache", response.headers().firstValue("cache-control").orElse(null));
    assertEquals("no", response.headers().firstValue("x-accel-buffering").orElse(null));

    List<JsonObject> chunks = Sse.events(response.body());
    JsonObject usageChunk = chunks.remove(chunks.size() - 1);
    assertEquals(new JsonArray(), usageChunk.getJsonArray("choices"), usageChunk::encode);
    assertTrue(usageChunk.getJsonObject("usage").getInteger("completion_tokens") > 0, usageChunk::encode);

    String id = chunks.get(0).getString("id");
    assertNotNull(id);
    assertEquals("assistant", delta(chunks.get(0)).getString("role"));
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < chunks.size(); i++) {
      JsonObject chunk = chunks.get(i);
      assertEquals(id, chunk.getString("id"));
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      String finish = chunk.getJsonArray("choices").getJsonObject(0).getString("finish_reason");
      if (i == chunks.size() - 1) {
        assertNotNull(finish, chunk::encode);
      } else {
        assertNull(finish, chunk::encode);
      }
      content.append(delta(chunk).getString("content", ""));
    }
    assertEquals(id, usageChunk.getString("id"));
    assertTrue(content.toString().startsWith(STORY), content::toString);
  }

  @Test
  void eightConcurrentStreamsOnTwoSlotsAllFinish() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      JsonObject request = Http.chat("Once upon a time", 48).put("temperature", 0.8).put("seed", i).put("stream", true);
      responses.add(http.postAsync("/v1/chat/completions", request));
    }
    for (CompletableFuture<HttpResponse<String>> future : responses) {
      HttpResponse<String> response = future.get(30, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), response::body);
      assertTrue(Sse.events(response.body()).size() > 1, response::body);
    }
  }

  @Test
  void aClientThatDisconnectsFreesItsSlot() throws Exception {
    JsonObject request = Http.chat("Once upon a time", 2000).put("temperature", 0.8).put("seed", 7);
    // How long the whole generation takes here, so that a freed slot can be told from a finished generation.
    long fullStarted = System.nanoTime();
    JsonObject full = Http.json(http.post("/v1/chat/completions", request), 200);
    long fullNanos = System.nanoTime() - fullStarted;
    assertEquals("length", full.getJsonArray("choices").getJsonObject(0).getString("finish_reason"), full::encode);

    long disconnected;
    try (RawHttp raw = RawHttp.post(http.port, "/v1/chat/completions", request.copy().put("stream", true).encode())) {
      raw.readUntil("data: ", 3);
      disconnected = System.nanoTime();
    }
    JsonObject info;
    do {
      Thread.sleep(20);
      info = Http.json(http.get("/llms/default"), 200);
    } while (info.getInteger("inFlight") != 0 && System.nanoTime() - disconnected < TimeUnit.SECONDS.toNanos(3));
    long freedNanos = System.nanoTime() - disconnected;
    assertEquals(0, info.getInteger("inFlight"), info::encode);
    assertTrue(freedNanos < fullNanos / 2, () -> "slot freed after " + freedNanos / 1_000_000
      + " ms, the whole generation takes " + fullNanos / 1_000_000 + " ms: the generation was not cancelled");

    long started = System.nanoTime();
    JsonObject next = Http.json(http.post("/v1/chat/completions", Http.chat("Once upon a time", 12)), 200);
    assertTrue(content(next).startsWith(STORY), next::encode);
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "the next request waited");
  }

  @Test
  void anErrorAfterTheFirstTokenIsTheLastEvent() throws Exception {
    Http.json(http.post("/llms", new JsonObject().put("name", "victim").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);
    try {
      JsonObject request = Http.chat("Once upon a time", 2000).put("temperature", 0.8).put("seed", 7).put("stream", true);
      HttpResponse<InputStream> response = http.send(http.request("/llms/victim/v1/chat/completions")
        .POST(HttpRequest.BodyPublishers.ofString(request.encode())).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, response.statusCode());
      try (InputStream in = response.body()) {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[256];
        while (!received.toString(StandardCharsets.UTF_8).contains("\n\ndata: ")) {
          received.write(buffer, 0, in.read(buffer));
        }
        // Unloading the model fails the generations running on it.
        Http.json(http.post("/llms/victim/models/stories260K/unload", ""), 200);
        received.write(in.readAllBytes());
        String body = received.toString(StandardCharsets.UTF_8);
        assertFalse(body.contains("[DONE]"), body);
        List<JsonObject> events = Sse.parse(body);
        JsonObject error = events.get(events.size() - 1).getJsonObject("error");
        assertNotNull(error, body);
        assertEquals(Set.of("message", "type", "param", "code"), error.fieldNames(), error::encode);
        assertEquals("server_error", error.getString("type"));
      }
    } finally {
      Http.json(http.delete("/llms/victim"), 200);
    }
  }

  private static JsonObject delta(JsonObject chunk) {
    return chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
  }

  private static String content(JsonObject completion) {
    return completion.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
  }
}
