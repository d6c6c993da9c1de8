package org.memorall.llm.openai;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.failure;

/**
 * The spec's "Local OpenAI-Compatible (LM Studio & Ollama)" examples in Java, through the registry of a full
 * node. The upstream is that node's own gateway (its LLM "default" is the bundled llama.cpp model), standing in
 * for LM Studio and Ollama.
 */
@ExtendWith(VertxExtension.class)
class RegistryExamplesTest {

  int port;
  String baseUrl;
  LlmClient llm;
  LlmService llmService;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    port = await(TestNode.start(vertx, TestNode.defaultLlms()));
    baseUrl = "http://127.0.0.1:" + port + "/v1";
    llm = LlmClient.create(vertx);
    llmService = llm.service();
  }

  @Test
  void theSpecExamplesWorkAsWritten(Vertx vertx) throws Exception {
    // await llmService.create('lmstudio', { type: 'lmstudio', baseURL: 'http://localhost:1234/v1' });
    LlmInfo lmstudio = await(llmService.create("lmstudio", "lmstudio", new JsonObject().put("type", "lmstudio").put("baseURL", baseUrl)));
    assertEquals("lmstudio", lmstudio.getType());
    assertEquals("ready", lmstudio.getStatus());
    assertEquals(baseUrl, lmstudio.toJson().getString("baseURL"));
    assertEquals(32, lmstudio.getSlots());
    // await llmService.create('ollama', { type: 'ollama', baseURL: 'http://localhost:11434/v1' });
    LlmInfo ollama = await(llmService.create("ollama", "ollama", new JsonObject().put("type", "ollama").put("baseURL", baseUrl)));
    assertEquals("ollama", ollama.getType());

    // const resp = await llmService.chatCompletionsFor('lmstudio', { model: 'your-model-id', messages: [...] });
    ChatCompletionResponse resp = await(llmService.chatCompletionsFor("lmstudio", new ChatCompletionRequest(new JsonObject()
      .put("model", "default")
      .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
      .put("max_tokens", 8).put("temperature", 0))));
    assertEquals(", there was a little girl", resp.getContent());

    // const stream = llmService.chatCompletionsFor('ollama', { model: 'llama3', messages: [...], stream: true });
    // for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content || '');
    ChatCompletionRequest request = new ChatCompletionRequest(new JsonObject()
      .put("model", "default")
      .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
      .put("stream", true).put("max_tokens", 8).put("temperature", 0));
    StringBuilder out = new StringBuilder();
    Promise<Void> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      LlmStream<ChatCompletionChunk> stream = llm.streamChatCompletions("ollama", request);
      stream.handler(chunk -> {
        JsonArray choices = chunk.toJson().getJsonArray("choices");
        JsonObject delta = choices.isEmpty() ? null : choices.getJsonObject(0).getJsonObject("delta");
        out.append(delta == null || delta.getString("content") == null ? "" : delta.getString("content"));
      }).exceptionHandler(done::tryFail).endHandler(done::tryComplete);
    });
    await(done.future());
    assertEquals(", there was a little girl", out.toString());

    assertEquals("default", await(llmService.models("lmstudio")).getData().get(0).getId(), "the upstream's models");
  }

  @Test
  void anOpenAiLlmNeedsAKeyAndNeverShowsIt() throws Exception {
    ServiceException missing = failure(llmService.create("gpt", "openai", new JsonObject()), 400, "invalid_value");
    assertTrue(missing.getMessage().contains("'apiKey' is required for https://api.openai.com/v1"), missing.getMessage());
    assertFalse(await(llmService.has("gpt")));

    String key = "sk-registry-secret-31337";
    LlmInfo info = await(llmService.create("gpt", "openai", new JsonObject().put("apiKey", key).put("baseURL", baseUrl)));
    assertEquals("openai", info.getType());
    assertEquals("***", info.getConfig().getString("apiKey"));
    assertFalse(info.toJson().encode().contains(key), info.toJson().encode());
    assertFalse(await(llmService.getAllInfo()).toString().contains(key));
  }

  @Test
  void aKeyTheUpstreamRefusesFailsTheCreateAsInTheSpec(Vertx vertx) throws Exception {
    FakeUpstream fake = await(FakeUpstream.start(vertx));
    fake.behave(FakeUpstream.answer(401, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided\","
      + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
    // await llmService.create('invalid', 'openai', { type: 'openai', apiKey: 'invalid-key' }) throws
    ServiceException e = failure(llmService.create("invalid", "openai", new JsonObject().put("type", "openai")
      .put("apiKey", "invalid-key").put("baseURL", fake.baseUrl())), 401, "invalid_api_key");
    assertTrue(e.getMessage().contains("refused the API key of LLM 'invalid'")
      && e.getMessage().contains("Incorrect API key provided"), e.getMessage());
    assertFalse(e.getMessage().contains("invalid-key"), e.getMessage());
    assertFalse(await(llmService.has("invalid")));

    // A key the upstream cannot be asked about yet (nothing listens): created, as a local server may start later.
    LlmInfo later = await(llmService.create("later", "lmstudio", new JsonObject().put("apiKey", "k")
      .put("baseURL", "http://127.0.0.1:1/v1")));
    assertEquals("ready", later.getStatus());
    // A 403 may come from a proxy or a permission, not the key: created.
    fake.behave(FakeUpstream.answer(403, "application/json", "{\"error\":{\"message\":\"Forbidden\"}}"));
    assertEquals("ready", await(llmService.create("forbidden", "openai", new JsonObject().put("apiKey", "k")
      .put("baseURL", fake.baseUrl()))).getStatus());
    // An upstream that does not answer: created once the check gives up.
    fake.behave((req, body) -> { });
    long t0 = System.nanoTime();
    assertEquals("ready", await(llmService.create("silent", "openai", new JsonObject().put("apiKey", "k")
      .put("baseURL", fake.baseUrl()))).getStatus());
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(tookMs >= OpenAiProvider.KEY_CHECK_MS - 100 && tookMs < OpenAiProvider.KEY_CHECK_MS + 5000,
      "waited for the check's limit: " + tookMs + " ms");
  }

  @Test
  void theGatewayRoutesByLlmNameAndTheConfiguredModelAnswers(Vertx vertx) throws Exception {
    await(llmService.create("studio", "lmstudio", new JsonObject().put("baseURL", baseUrl).put("model", "default")));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("model", "studio")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
        .put("max_tokens", 8).put("temperature", 0).encode()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(", there was a little girl", new ChatCompletionResponse(new JsonObject(response.body())).getContent());
  }

  @Test
  void anUnreachableUpstreamIsA503ThroughTheRegistry() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closed + "/v1";
    LlmInfo info = await(llmService.create("offline", "ollama", new JsonObject().put("baseURL", url)));
    assertEquals("ready", info.getStatus(), "creating works offline");
    ServiceException e = failure(llmService.chatCompletionsFor("offline",
      new ChatCompletionRequest().withMessage("user", "Hi")), 503, UpstreamErrors.UNAVAILABLE);
    assertTrue(e.getMessage().contains(url), e.getMessage());
    ServiceException unsupported = failure(llmService.unload("offline", "llama3"), 400, "unsupported");
    assertTrue(unsupported.getMessage().contains("managed by the upstream server"), unsupported.getMessage());
    assertTrue(await(llmService.remove("offline")));
  }
}
