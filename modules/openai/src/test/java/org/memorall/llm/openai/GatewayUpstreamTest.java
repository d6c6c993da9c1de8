package org.memorall.llm.openai;

import org.memorall.llm.CollectingSink;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.ModelList;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.failure;

/**
 * The provider against a real OpenAI-compatible server: this project's own gateway, serving the bundled
 * llama.cpp model as LLM "default" on a loopback port. Greedy decoding makes the text known.
 */
@ExtendWith(VertxExtension.class)
class GatewayUpstreamTest {

  ProviderHarness h;
  String baseUrl;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    int port = await(TestNode.start(vertx, TestNode.defaultLlms()));
    baseUrl = "http://127.0.0.1:" + port + "/v1";
  }

  @AfterEach
  void stop() throws Exception {
    h.stop();
  }

  static ChatCompletionRequest story() {
    return new ChatCompletionRequest().setModel("default").withMessage("user", "Once upon a time")
      .setMaxTokens(8).setTemperature(0.0);
  }

  @Test
  void nonStreamingCompletion(Vertx vertx) throws Exception {
    h = ProviderHarness.started(vertx, "lmstudio", new JsonObject().put("baseURL", baseUrl));
    ChatCompletionResponse r = await(h.chat(story()).done());
    assertEquals(", there was a little girl", r.getContent());
    assertEquals("length", r.getFinishReason());
    assertEquals(8, r.getUsage().getCompletionTokens());
    assertEquals("chat.completion", r.toJson().getString("object"));
  }

  @Test
  void streamingCompletionWithUsage(Vertx vertx) throws Exception {
    h = ProviderHarness.started(vertx, "ollama", new JsonObject().put("baseURL", baseUrl));
    ChatCompletionRequest request = story().setStream(true);
    request.toJson().put("stream_options", new JsonObject().put("include_usage", true));
    CollectingSink sink = h.chat(request);
    assertNull(await(sink.done()), "the stream ended with [DONE]");
    List<ChatCompletionChunk> chunks = sink.chunks;
    assertEquals(", there was a little girl", sink.text());
    assertEquals("assistant", chunks.get(0).getRole());
    assertEquals("length", chunks.get(chunks.size() - 2).getFinishReason());
    assertEquals(8, chunks.get(chunks.size() - 1).getUsage().getCompletionTokens(), "the usage chunk is relayed");
    chunks.forEach(c -> assertEquals(chunks.get(0).getId(), c.getId()));
  }

  @Test
  void theUpstreamModelsAreListed(Vertx vertx) throws Exception {
    h = ProviderHarness.started(vertx, "lmstudio", new JsonObject().put("baseURL", baseUrl));
    ModelList models = await(h.call(h.provider::models));
    assertEquals("list", models.toJson().getString("object"));
    assertEquals(List.of("default"), models.getData().stream().map(m -> m.getId()).toList());
  }

  @Test
  void theUpstreamsOwnErrorsComeBackAsTheyWere(Vertx vertx) throws Exception {
    h = ProviderHarness.started(vertx, "lmstudio", new JsonObject().put("baseURL", baseUrl));
    ServiceException e = failure(h.chat(story().setModel("nope")).done(), 404, "model_not_found");
    assertEquals("LLM 'nope' not found. Available: default", e.getMessage());
    assertEquals("model", e.getDebugInfo().getString("param"));
    assertEquals("invalid_request_error", e.getDebugInfo().getString("type"));
  }
}
