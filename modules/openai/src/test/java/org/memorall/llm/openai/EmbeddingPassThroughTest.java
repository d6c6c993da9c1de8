package org.memorall.llm.openai;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmErrors;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.failure;

/**
 * Embeddings of remote LLMs: {@code POST {baseURL}/embeddings} forwarded as it came and answered as it returned,
 * against {@link FakeUpstream} and against this project's own gateway serving a llamacpp embedding LLM.
 */
@ExtendWith(VertxExtension.class)
class EmbeddingPassThroughTest {

  private static final String KEY = "sk-test-0123456789abcdef";
  private FakeUpstream fake;
  private ProviderHarness h;

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.stop();
    }
    if (fake != null) {
      await(fake.close());
    }
  }

  private ProviderHarness fakeProvider(Vertx vertx, FakeUpstream.Behaviour behaviour) throws Exception {
    fake = await(FakeUpstream.start(vertx)).behave(behaviour);
    h = ProviderHarness.started(vertx, "openai", new JsonObject().put("apiKey", KEY)
      .put("model", "text-embedding-3-small").put("baseURL", fake.baseUrl()));
    return h;
  }

  private EmbeddingResponse embed(EmbeddingRequest request) throws Exception {
    return await(h.call(() -> h.provider.embeddings(request.validate())));
  }

  @Test
  void forwardsTheRequestAndRelaysTheAnswerUnchanged(Vertx vertx) throws Exception {
    fakeProvider(vertx, FakeUpstream.embeddings());
    EmbeddingRequest request = EmbeddingRequest.of("a", "b").setModel(ProviderHarness.NAME);
    request.toJson().put("dimensions", 2).put("user", "u1").put("x_custom", new JsonObject().put("k", 1));
    EmbeddingResponse answer = embed(request);

    FakeUpstream.Received r = fake.last();
    assertEquals("POST", r.method);
    assertEquals("/v1/embeddings", r.uri);
    assertEquals("Bearer " + KEY, r.headers.get("Authorization"));
    JsonObject expected = request.toJson().copy().put("model", "text-embedding-3-small");
    assertEquals(expected, r.json(), "the LLM's name becomes the configured model; everything else goes as sent");
    assertEquals("kept", answer.toJson().getString("x_upstream"), "the answer is relayed unchanged");
    assertEquals("text-embedding-3-small", answer.getModel());
    assertArrayEquals(new float[] {1, 0.5f}, answer.vector(1));
    assertEquals(8, answer.getUsage().getPromptTokens());

    embed(EmbeddingRequest.of("c").setModel("text-embedding-3-large"));
    assertEquals("text-embedding-3-large", fake.last().json().getString("model"), "a real model id goes as it is");
  }

  @Test
  void upstreamErrorsKeepTheirStatusMessageAndRetryAfter(Vertx vertx) throws Exception {
    fakeProvider(vertx, FakeUpstream.answer(400, "application/json", new JsonObject().put("error", new JsonObject()
      .put("message", "This model does not support embeddings").put("type", "invalid_request_error")
      .put("param", "model").put("code", "model_not_supported")).encode()));
    ServiceException bad = failure(h.call(() -> h.provider.embeddings(EmbeddingRequest.of("a"))));
    assertEquals(400, bad.failureCode());
    assertTrue(bad.getMessage().contains("This model does not support embeddings"), bad.getMessage());
    assertEquals("model", bad.getDebugInfo().getString("param"));

    fake.behave(FakeUpstream.answer(429, "application/json", "{\"error\":{\"message\":\"slow down\"}}",
      "Retry-After", "3"));
    ServiceException limited = failure(h.call(() -> h.provider.embeddings(EmbeddingRequest.of("a"))));
    assertEquals(429, limited.failureCode());
    assertEquals(3000, LlmErrors.retryAfterMs(limited));

    fake.behave(FakeUpstream.answer(200, "application/json", "not json"));
    assertEquals(502, failure(h.call(() -> h.provider.embeddings(EmbeddingRequest.of("a")))).failureCode());
  }

  /**
   * A node serving a llamacpp embedding LLM "embed", and on it a remote LLM "remote" whose upstream is that same
   * node's gateway: {@code POST /v1/embeddings {"model":"remote"}} crosses gateway, registry, the openai provider,
   * real HTTP, and the gateway again to llama.cpp.
   */
  @Test
  void aRemoteLlmEmbedsThroughARealUpstream(Vertx vertx) throws Exception {
    JsonObject llms = new JsonObject().put("embed", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("embedding", true)));
    int port = await(TestNode.start(vertx, llms));
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port;
    JsonObject remote = new JsonObject().put("name", "remote").put("type", "lmstudio").put("config", new JsonObject()
      .put("baseURL", base + "/v1").put("model", "embed"));
    assertEquals(201, post(http, base + "/llms", remote).statusCode());

    HttpResponse<String> direct = post(http, base + "/v1/embeddings", new JsonObject().put("model", "embed")
      .put("input", new JsonArray().add("The cat sat on the mat.")));
    HttpResponse<String> relayed = post(http, base + "/v1/embeddings", new JsonObject().put("model", "remote")
      .put("input", new JsonArray().add("The cat sat on the mat.")));
    assertEquals(200, relayed.statusCode(), relayed.body());
    assertEquals("remote", relayed.headers().firstValue("X-LLM-Served-By").orElse(null));
    assertEquals(new JsonObject(direct.body()), new JsonObject(relayed.body()), "the same vectors, usage and model");

    HttpResponse<String> chatOnly = post(http, base + "/llms/remote/v1/embeddings", new JsonObject()
      .put("model", "nope").put("input", "x"));
    assertEquals(404, chatOnly.statusCode(), chatOnly.body());
    assertTrue(chatOnly.body().contains("LLM 'nope' not found"), "the upstream's error, relayed: " + chatOnly.body());
  }

  private static HttpResponse<String> post(HttpClient http, String url, JsonObject body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
