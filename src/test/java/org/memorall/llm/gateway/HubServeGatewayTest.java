package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.llamacpp.FakeHub;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /llms/{name}/serve from a HuggingFace-compatible Hub (FakeHub), end to end through the gateway. */
@ExtendWith(VertxExtension.class)
class HubServeGatewayTest {

  private static final String TOKEN = "hf_gatewaySecret42";
  private static final byte[] MODEL = FakeHub.bundledModel();
  private static FakeHub hub;
  private static Http http;
  private static Path modelsDir;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    System.setProperty("HF_TOKEN", TOKEN);
    hub = new FakeHub(vertx).repo("karpathy/tinyllamas",
      Map.of("stories260K-Q4_K_M.gguf", MODEL, "stories260K-Q8_0.gguf", MODEL)).start().await(10, TimeUnit.SECONDS);
    JsonObject config = TestNode.config(new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("hubEndpoint", hub.endpoint()))));
    modelsDir = Path.of(config.getString("modelsDir"));
    http = new Http(TestNode.deploy(vertx, config).await(60, TimeUnit.SECONDS));
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty("HF_TOKEN");
    hub.stop();
  }

  @Test
  void serveStreamsProgressAsSseThenDoneAndTheModelAnswers() {
    hub.chunkDelayMs = 10;
    HttpResponse<String> response = http.post("/llms/default/serve", new JsonObject().put("repo", "karpathy/tinyllamas").encode(),
      "Accept", "text/event-stream");
    hub.chunkDelayMs = 0;
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    assertFalse(response.body().contains(TOKEN));
    List<JsonObject> events = Sse.events(response.body());
    assertEquals(List.of("resolving", "downloading", "verifying", "loading", "ready"),
      events.stream().map(e -> e.getString("phase")).distinct().toList());
    double percent = -1;
    for (JsonObject e : events) {
      assertTrue(e.getDouble("percent") >= percent, events::toString);
      percent = e.getDouble("percent");
    }
    assertEquals(100.0, percent);
    JsonObject ready = events.get(events.size() - 1);
    assertEquals("stories260K-Q4_K_M", ready.getJsonObject("model").getString("id"));

    JsonObject completion = Http.json(http.post("/v1/chat/completions", Http.chat("Once upon a time", 8)), 200);
    assertEquals("stories260K-Q4_K_M", completion.getString("model"));
    assertEquals(", there was a little girl", completion.getJsonArray("choices").getJsonObject(0)
      .getJsonObject("message").getString("content"));
  }

  @Test
  void serveAnswersJsonThenUnloadAndDeleteWork() {
    JsonObject model = Http.json(http.post("/llms/default/serve",
      new JsonObject().put("repo", "karpathy/tinyllamas/stories260K-Q8_0.gguf")), 200);
    assertEquals("stories260K-Q8_0", model.getString("id"));
    assertTrue(model.getBoolean("loaded"));
    Path file = modelsDir.resolve("karpathy/tinyllamas/stories260K-Q8_0.gguf");
    assertTrue(Files.exists(file));

    assertTrue(Http.json(http.post("/llms/default/models/stories260K-Q8_0/unload", "{}"), 200).getBoolean("unloaded"));
    assertEquals("unloaded", Http.json(http.get("/llms/default"), 200).getString("status"));
    assertTrue(Files.exists(file), "unload keeps the file");

    assertTrue(Http.json(http.delete("/llms/default/models/karpathy%2Ftinyllamas%2Fstories260K-Q8_0.gguf"), 200)
      .getBoolean("deleted"));
    assertFalse(Files.exists(file));
    JsonObject list = Http.json(http.get("/llms/default/models"), 200);
    assertFalse(list.encode().contains("stories260K-Q8_0"), list::encode);
  }

  @Test
  void badRequestsGetClearErrors() {
    JsonObject missing = Http.error(http.post("/llms/default/serve",
      new JsonObject().put("repo", "karpathy/tinyllamas").put("file", "nope.gguf")), 404);
    assertTrue(missing.getString("message").contains("GGUF files: stories260K-Q4_K_M.gguf, stories260K-Q8_0.gguf"),
      missing::encode);
    JsonObject traversal = Http.error(http.post("/llms/default/serve",
      new JsonObject().put("username", "karpathy").put("repo", "../../etc")), 400);
    assertEquals("repo", traversal.getString("param"));
    // With SSE, a failure after the first event is the stream's last event.
    HttpResponse<String> sse = http.post("/llms/default/serve", new JsonObject().put("repo", "karpathy/nope").encode(),
      "Accept", "text/event-stream");
    assertTrue(sse.body().contains("karpathy/nope") && !sse.body().contains("[DONE]"), sse.body());
    assertFalse(sse.body().contains(TOKEN));
  }
}
