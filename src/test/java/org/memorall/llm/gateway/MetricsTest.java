package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.llamacpp.FakeHub;
import org.memorall.llm.metrics.Metrics;

import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /metrics} after real requests, with and without Vert.x's own metrics. */
@ExtendWith(VertxExtension.class)
class MetricsTest {

  @Test
  void chatCompletionsAnd404sAreCountedByLlmAndStatus(Vertx vertx) throws Exception {
    Http http = new Http(HealthTest.await(TestNode.start(vertx, TestNode.defaultLlms())));
    assertEquals(200, http.post("/v1/chat/completions", Http.chat("Once upon a time", 4)).statusCode());
    assertEquals(200, http.post("/v1/chat/completions", Http.chat("Once upon a time", 4)
      .put("stream", true)).statusCode());
    // A name that is not an LLM must not become a label: it is the client's text.
    Http.error(http.post("/v1/chat/completions", Http.chat("Once upon a time", 4).put("model", "nope-secret")), 404);

    String text = awaitLines(http,
      "llm_requests_total{llm=\"default\",status=\"200\"} 2.0",
      "llm_requests_total{llm=\"none\",status=\"404\"} 1.0",
      "llm_request_duration_seconds_bucket{llm=\"default\",status=\"200\",le=\"+Inf\"} 2",
      "llm_request_duration_seconds_count{llm=\"none\",status=\"404\"} 1",
      "llm_time_to_first_token_seconds_count{llm=\"default\"} 1",
      // 4 tokens each: the usage of the whole answer, the content chunks of the stream.
      "llm_tokens_generated_total{llm=\"default\"} 8.0",
      "llm_queue_depth{llm=\"default\"} 0.0",
      "llm_requests_in_flight{llm=\"default\"} 0.0",
      "llm_slots{llm=\"default\"} 2.0",
      "llm_model_load_seconds_count{llm=\"default\"} 1");
    assertFalse(text.contains("nope-secret"), "a requested name is no label");
  }

  @Test
  void embeddingsAreCountedApartFromChatCompletions(Vertx vertx) throws Exception {
    JsonObject llms = TestNode.defaultLlms().put("embed", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("embedding", true)));
    Http http = new Http(HealthTest.await(TestNode.start(vertx, llms)));
    JsonObject cat = new JsonObject().put("model", "embed").put("input", "The cat sat on the mat.");
    assertEquals(200, http.post("/v1/embeddings", cat).statusCode());
    assertEquals(200, http.post("/llms/embed/v1/embeddings", cat).statusCode());
    Http.error(http.post("/v1/embeddings", cat.copy().put("model", "nope-secret")), 404);
    Http.error(http.post("/v1/embeddings", cat.copy().put("model", "default")), 400); // a chat-only LLM

    String text = awaitLines(http,
      "llm_embedding_requests_total{llm=\"embed\",status=\"200\"} 2.0",
      "llm_embedding_requests_total{llm=\"none\",status=\"404\"} 1.0",
      "llm_embedding_requests_total{llm=\"none\",status=\"400\"} 1.0",
      "llm_embedding_duration_seconds_count{llm=\"embed\",status=\"200\"} 2",
      "llm_embedding_duration_seconds_bucket{llm=\"embed\",status=\"200\",le=\"+Inf\"} 2");
    assertFalse(text.contains("nope-secret"), "a requested name is no label");
    assertFalse(text.contains("llm_requests_total{llm=\"embed\""), "embeddings are not chat completions");
  }

  @Test
  void anLlmRemovedLeavesNoGauges(Vertx vertx) throws Exception {
    Http http = new Http(HealthTest.await(TestNode.start(vertx, TestNode.defaultLlms())));
    Http.json(http.post("/llms", new JsonObject().put("name", "brief").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);
    awaitLines(http, "llm_slots{llm=\"brief\"} 1.0");
    Http.json(http.delete("/llms/brief"), 200);
    assertFalse(scrape(http).contains("llm_slots{llm=\"brief\"}"));
  }

  @Test
  void serveCountsTheBytesItDownloadsAndTheModelLoad(Vertx vertx) throws Exception {
    byte[] model = FakeHub.bundledModel();
    FakeHub hub = new FakeHub(vertx).repo("karpathy/tinyllamas", Map.of("stories260K-Q4_K_M.gguf", model))
      .start().await(10, TimeUnit.SECONDS);
    try {
      JsonObject llms = new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1).put("hubEndpoint", hub.endpoint())));
      Http http = new Http(HealthTest.await(TestNode.start(vertx, llms)));
      HttpResponse<String> served = http.post("/llms/default/serve",
        new JsonObject().put("repo", "karpathy/tinyllamas").encode());
      assertEquals(200, served.statusCode(), served.body());
      awaitLines(http, "llm_model_download_bytes_total{llm=\"default\"} " + (double) model.length,
        // The provider's start, then the serve's load.
        "llm_model_load_seconds_count{llm=\"default\"} 2");
    } finally {
      hub.stop();
    }
  }

  @Test
  void aNodeOnMetricsVertxShowsVertxMetricsToo() throws Exception {
    Vertx vertx = Metrics.vertx();
    try {
      Http http = new Http(HealthTest.await(TestNode.start(vertx, TestNode.defaultLlms())));
      assertEquals(200, http.post("/v1/chat/completions", Http.chat("Once upon a time", 2)).statusCode());
      String text = awaitLines(http, "llm_requests_total{llm=\"default\",status=\"200\"} 1.0");
      assertTrue(text.contains("vertx_http_server_requests_total{"), text);
      assertTrue(text.contains("jvm_memory_used_bytes{"), text);
    } finally {
      HealthTest.await(vertx.close());
    }
  }

  private static String scrape(Http http) {
    HttpResponse<String> response = http.get("/metrics");
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
    return response.body();
  }

  /**
   * A scrape in which each of {@code lines} is a whole line. Polls for a little while: a request is counted when
   * its response has ended on the server, which may be just after the client has it.
   */
  private static String awaitLines(Http http, String... lines) throws InterruptedException {
    long until = System.nanoTime() + 5_000_000_000L;
    while (true) {
      String text = scrape(http);
      List<String> all = text.lines().toList();
      String missing = Arrays.stream(lines).filter(l -> !all.contains(l)).findFirst().orElse(null);
      if (missing == null) {
        return text;
      }
      assertTrue(System.nanoTime() < until, () -> "missing '" + missing + "' in:\n" + grep(text));
      Thread.sleep(20);
    }
  }

  private static String grep(String text) {
    StringBuilder out = new StringBuilder();
    text.lines().filter(l -> l.startsWith("llm_")).forEach(l -> out.append(l).append('\n'));
    return out.toString();
  }
}
