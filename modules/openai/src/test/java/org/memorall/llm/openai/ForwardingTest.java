package org.memorall.llm.openai;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ServeRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.failure;
import static org.memorall.llm.openai.ProviderHarness.hello;

/** What reaches the upstream (body, headers, model) and what comes back, against {@link FakeUpstream}. */
@ExtendWith(VertxExtension.class)
class ForwardingTest {

  private static final String KEY = "sk-test-0123456789abcdef";
  FakeUpstream fake;
  ProviderHarness h;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    fake = await(FakeUpstream.start(vertx));
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.stop();
    }
    await(fake.close());
  }

  private ProviderHarness provider(Vertx vertx, String type, JsonObject config) throws Exception {
    h = ProviderHarness.started(vertx, type, config.put("baseURL", fake.baseUrl()));
    return h;
  }

  @Test
  void unknownFieldsReachTheUpstreamUnchanged(Vertx vertx) throws Exception {
    provider(vertx, "openai", new JsonObject().put("apiKey", KEY).put("model", "configured-model"));
    JsonObject sent = new JsonObject()
      .put("model", "gpt-4o-mini")
      .put("messages", new JsonArray()
        .add(new JsonObject().put("role", "system").put("content", "Be brief."))
        .add(new JsonObject().put("role", "user").put("content", new JsonArray()
          .add(new JsonObject().put("type", "text").put("text", "Weather in Paris?")))))
      .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function", new JsonObject()
        .put("name", "get_weather").put("parameters", new JsonObject().put("type", "object")))))
      .put("tool_choice", "auto")
      .put("response_format", new JsonObject().put("type", "json_object"))
      .put("logprobs", true)
      .put("top_logprobs", 2)
      .put("user", "u1")
      .put("x_custom", new JsonObject().put("a", 1).put("nested", new JsonArray().add(1.5).add("two").addNull()))
      .put("temperature", 0.2);
    ChatCompletionResponse response = await(h.chat(new ChatCompletionRequest(sent.copy())).done());

    FakeUpstream.Received r = fake.last();
    assertEquals("POST", r.method);
    assertEquals("/v1/chat/completions", r.uri);
    assertEquals(sent, r.json(), "the body arrives exactly as sent; the request's own model wins over the configured one");
    assertEquals("Hi there", response.getContent());
    assertEquals("fp_fake", response.toJson().getString("system_fingerprint"), "the answer is relayed unchanged");
    assertTrue(response.toJson().getJsonArray("choices").getJsonObject(0).containsKey("logprobs"));
  }

  @Test
  void theConfiguredModelAnswersRequestsWithoutOneOrNamedAfterTheLlm(Vertx vertx) throws Exception {
    provider(vertx, "lmstudio", new JsonObject().put("model", "qwen2.5-7b-instruct"));
    await(h.chat(hello()).done());
    assertEquals("qwen2.5-7b-instruct", fake.last().json().getString("model"));
    await(h.chat(hello().setModel(ProviderHarness.NAME)).done());
    assertEquals("qwen2.5-7b-instruct", fake.last().json().getString("model"), "routed by the LLM's name");
    await(h.chat(hello().setModel("llama3")).done());
    assertEquals("llama3", fake.last().json().getString("model"));
  }

  @Test
  void withoutAConfiguredModelTheRequestGoesAsItIs(Vertx vertx) throws Exception {
    provider(vertx, "ollama", new JsonObject());
    await(h.chat(hello()).done());
    assertFalse(fake.last().json().containsKey("model"));
  }

  @Test
  void authorizationOrganizationProjectAndExtraHeadersAreSent(Vertx vertx) throws Exception {
    provider(vertx, "openai", new JsonObject().put("apiKey", KEY).put("organization", "org-1").put("project", "proj_1")
      .put("headers", new JsonObject().put("X-Trace", "abc").put("HTTP-Referer", "https://memorall.example")));
    await(h.chat(hello()).done());
    FakeUpstream.Received r = fake.last();
    assertEquals("Bearer " + KEY, r.headers.get("Authorization"));
    assertEquals("org-1", r.headers.get("OpenAI-Organization"));
    assertEquals("proj_1", r.headers.get("OpenAI-Project"));
    assertEquals("abc", r.headers.get("X-Trace"));
    assertEquals("https://memorall.example", r.headers.get("HTTP-Referer"));
    assertEquals("application/json", r.headers.get("Content-Type"));
    assertEquals("application/json", r.headers.get("Accept"));
  }

  @Test
  void noAuthorizationHeaderWithoutAKey(Vertx vertx) throws Exception {
    provider(vertx, "lmstudio", new JsonObject().put("apiKey", ""));
    await(h.chat(hello()).done());
    assertNull(fake.last().headers.get("Authorization"));
    assertNull(fake.last().headers.get("OpenAI-Organization"));
  }

  @Test
  void aQueryInTheBaseUrlIsKeptOnEveryCall(Vertx vertx) throws Exception {
    h = ProviderHarness.started(vertx, "openai", new JsonObject().put("baseURL", fake.baseUrl() + "/?api-version=2024-10-21"));
    await(h.chat(hello()).done());
    assertEquals("/v1/chat/completions?api-version=2024-10-21", fake.last().uri);
    assertEquals(fake.baseUrl(), h.status().getString("baseURL"), "shown without the query, which may hold a credential");
  }

  @Test
  void modelsAreListedLosslessly(Vertx vertx) throws Exception {
    JsonObject list = new JsonObject().put("object", "list").put("data", new JsonArray()
      .add(new JsonObject().put("id", "llama3").put("object", "model").put("created", 1).put("owned_by", "library")
        .put("extra", new JsonObject().put("quantization", "Q4_K_M"))));
    fake.behave(FakeUpstream.answer(200, "application/json", list.encode()));
    provider(vertx, "ollama", new JsonObject().put("apiKey", KEY));
    ModelList models = await(h.call(h.provider::models));
    assertEquals(list, models.toJson());
    assertEquals("llama3", models.getData().get(0).getId());
    assertEquals("GET", fake.last().method);
    assertEquals("/v1/models", fake.last().uri);
    assertEquals("Bearer " + KEY, fake.last().headers.get("Authorization"));
  }

  @Test
  void modelListingErrorsKeepTheUpstreamStatus(Vertx vertx) throws Exception {
    provider(vertx, "openai", new JsonObject().put("apiKey", KEY));
    // The key is revoked after the LLM was created (a key refused at once fails the create: RegistryExamplesTest).
    fake.behave(FakeUpstream.answer(401, "application/json",
      "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}"));
    ServiceException e = failure(h.call(h.provider::models), 401, "invalid_api_key");
    assertEquals("Incorrect API key provided", e.getMessage());
  }

  @Test
  void serveUnloadAndDeleteAreClearlyUnsupported(Vertx vertx) throws Exception {
    provider(vertx, "lmstudio", new JsonObject());
    for (ServiceException e : new ServiceException[]{
      failure(h.call(() -> h.provider.serve(ServeRequest.repo("microsoft", "phi"), p -> {
      })), 400, "unsupported"),
      failure(h.call(() -> h.provider.unload("m")), 400, "unsupported"),
      failure(h.call(() -> h.provider.delete("m")), 400, "unsupported")}) {
      assertTrue(e.getMessage().contains("type lmstudio"), e.getMessage());
      assertTrue(e.getMessage().contains("managed by the upstream server at " + fake.baseUrl()), e.getMessage());
    }
    assertTrue(fake.received.isEmpty(), "nothing was sent upstream");
  }

  @Test
  void statusShowsWhereAndHowManyButNoSecret(Vertx vertx) throws Exception {
    provider(vertx, "openai", new JsonObject().put("apiKey", KEY).put("model", "gpt-4o-mini").put("maxConcurrency", 5)
      .put("headers", new JsonObject().put("X-Api-Key", "hidden-too")));
    JsonObject status = h.status();
    assertEquals("ready", status.getString("status"));
    assertEquals(fake.baseUrl(), status.getString("baseURL"));
    assertEquals("gpt-4o-mini", status.getString("model"));
    assertEquals(5, status.getInteger("slots"));
    assertEquals(5, h.provider.slots());
    assertFalse(status.encode().contains(KEY));
    assertFalse(status.encode().contains("hidden-too"));
  }
}
