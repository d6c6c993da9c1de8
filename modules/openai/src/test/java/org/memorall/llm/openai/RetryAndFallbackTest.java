package org.memorall.llm.openai;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmService;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's error handling with a remote LLM whose upstream misbehaves on purpose: retries with backoff
 * (and Retry-After), no retry for client errors, fallbacks (also to the local model), mid-stream continuation.
 */
@ExtendWith(VertxExtension.class)
class RetryAndFallbackTest {

  private Vertx vertx;
  private FakeUpstream fake;
  private LlmService registry;
  private int port;
  private final List<Long> arrivals = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    port = TestNode.start(vertx, TestNode.defaultLlms()).await(30, TimeUnit.SECONDS);
    fake = FakeUpstream.start(vertx).await(10, TimeUnit.SECONDS);
    registry = LlmService.createProxy(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  /** The fake answers with {@code first} for the first {@code times} requests, then with {@code then}. */
  private void failThen(int times, FakeUpstream.Behaviour first, FakeUpstream.Behaviour then) {
    AtomicInteger count = new AtomicInteger();
    fake.behave((req, body) -> {
      arrivals.add(System.nanoTime());
      (count.getAndIncrement() < times ? first : then).handle(req, body);
    });
  }

  private void createRemote(JsonObject extra) throws Exception {
    JsonObject config = new JsonObject().put("baseURL", fake.baseUrl()).put("model", "fake-model")
      .put("retry", new JsonObject().put("maxAttempts", 3).put("initialDelayMs", 100).put("maxDelayMs", 400))
      .mergeIn(extra);
    registry.create("remote", "lmstudio", config).await(10, TimeUnit.SECONDS);
  }

  private static ChatCompletionRequest hello() {
    return new ChatCompletionRequest().withMessage("user", "Once upon a time").setMaxTokens(12).setTemperature(0.0);
  }

  private static FakeUpstream.Behaviour status(int code, String... headers) {
    return FakeUpstream.answer(code, "application/json",
      "{\"error\":{\"message\":\"upstream says " + code + "\",\"type\":\"server_error\"}}", headers);
  }

  @Test
  void transientFailuresAreRetriedWithBackoffUntilOneSucceeds() throws Exception {
    createRemote(new JsonObject());
    failThen(2, status(503), FakeUpstream.completion("Hi there"));
    ChatCompletionResponse r = registry.chatCompletionsFor("remote", hello()).await(20, TimeUnit.SECONDS);
    assertEquals("Hi there", r.getContent());
    assertEquals("remote", r.getServedBy());
    assertEquals(3, arrivals.size(), "two retries");
    for (int i = 1; i < arrivals.size(); i++) {
      long gapMs = (arrivals.get(i) - arrivals.get(i - 1)) / 1_000_000;
      assertTrue(gapMs <= 400 + 300, "backoff is capped by maxDelayMs: " + gapMs + " ms");
    }
  }

  @Test
  void retryAfterIsHonoured() throws Exception {
    createRemote(new JsonObject());
    failThen(1, status(429, "Retry-After", "1"), FakeUpstream.completion("later"));
    assertEquals("later", registry.chatCompletionsFor("remote", hello()).await(20, TimeUnit.SECONDS).getContent());
    assertEquals(2, arrivals.size());
    long gapMs = (arrivals.get(1) - arrivals.get(0)) / 1_000_000;
    assertTrue(gapMs >= 1000, "waited for Retry-After: " + gapMs + " ms");
  }

  @Test
  void whatALocalModelCannotHonourGoesToItsFallback() throws Exception {
    createRemote(new JsonObject());
    registry.create("local", "llamacpp", new JsonObject().put("parallel", 1)
      .put("fallbacks", new JsonArray().add("remote"))).await(30, TimeUnit.SECONDS);
    ChatCompletionRequest withTools = hello();
    withTools.toJson().put("tools", new JsonArray().add(new JsonObject().put("type", "function")
      .put("function", new JsonObject().put("name", "weather"))));
    ChatCompletionResponse r = registry.chatCompletionsFor("local", withTools).await(30, TimeUnit.SECONDS);
    assertEquals("remote", r.getServedBy());
    assertEquals("Hi there", r.getContent());
    assertEquals(1, fake.received.size());
    assertTrue(fake.received.get(0).json().containsKey("tools"), "the tools went along");
    // Without a fallback the local model's 400 is the answer.
    ServiceException e = assertThrows(ServiceException.class,
      () -> registry.chatCompletionsFor("default", withTools).await(30, TimeUnit.SECONDS));
    assertEquals(400, e.failureCode());
    assertEquals("unsupported_parameter", e.getDebugInfo().getString("code"));
  }

  @Test
  void noRetryStartsAfterTheDeadline() throws Exception {
    createRemote(new JsonObject().put("retry", new JsonObject().put("maxAttempts", 5).put("deadlineMs", 1000)));
    failThen(100, status(503, "Retry-After", "2"), FakeUpstream.completion("never"));
    long t0 = System.nanoTime();
    ServiceException e = assertThrows(ServiceException.class,
      () -> registry.chatCompletionsFor("remote", hello()).await(20, TimeUnit.SECONDS));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(503, e.failureCode());
    assertEquals(1, arrivals.size(), "a retry after the 2 s asked would start past the 1 s deadline: none");
    assertTrue(tookMs < 1900, "answered at once rather than waiting: " + tookMs + " ms");
  }

  @Test
  void clientErrorsAreNotRetriedAndKeepTheirStatus() throws Exception {
    createRemote(new JsonObject().put("fallbacks", new JsonArray().add("default")));
    failThen(10, status(401), FakeUpstream.completion("never"));
    ServiceException e = assertThrows(ServiceException.class,
      () -> registry.chatCompletionsFor("remote", hello()).await(20, TimeUnit.SECONDS));
    assertEquals(401, e.failureCode());
    assertEquals("upstream says 401", e.getMessage());
    assertEquals(1, arrivals.size(), "a 401 is neither retried nor sent to a fallback");
  }

  @Test
  void afterItsRetriesAnLlmFallsBackAndTheClientLearnsWhoAnswered() throws Exception {
    createRemote(new JsonObject().put("fallbacks", new JsonArray().add("ghost").add("default")));
    failThen(100, status(500), FakeUpstream.completion("never"));
    ChatCompletionResponse r = registry.chatCompletionsFor("remote", hello()).await(30, TimeUnit.SECONDS);
    assertTrue(r.getContent().startsWith(", there was"), r.getContent());
    assertEquals("default", r.getServedBy(), "the missing 'ghost' was skipped");
    assertEquals(3, arrivals.size(), "maxAttempts on the remote before falling back");

    HttpResponse<String> http = post("/v1/chat/completions", hello().toJson().copy().put("model", "remote"));
    assertEquals(200, http.statusCode(), http.body());
    assertEquals("default", http.headers().firstValue("X-LLM-Served-By").orElse(null));
    assertFalse(http.body().contains("served_by"), "the HTTP body stays OpenAI's");
  }

  @Test
  void whenEveryLlmFailsTheErrorNamesThemAll() throws Exception {
    createRemote(new JsonObject().put("fallbacks", new JsonArray().add("ghost"))
      .put("retry", new JsonObject().put("maxAttempts", 1)));
    failThen(100, status(502), FakeUpstream.completion("never"));
    ServiceException e = assertThrows(ServiceException.class,
      () -> registry.chatCompletionsFor("remote", hello()).await(20, TimeUnit.SECONDS));
    assertTrue(e.getMessage().contains("remote: upstream says 502") && e.getMessage().contains("ghost: LLM 'ghost' not found"),
      e.getMessage());
    assertEquals(502, e.failureCode(), "the status of the LLM that failed, not the missing fallback's 404");
    assertEquals("all_llms_failed", e.getDebugInfo().getString("code"));

    HttpResponse<String> http = post("/v1/chat/completions", hello().toJson().copy().put("model", "remote"));
    assertEquals(502, http.statusCode(), http.body());
    assertTrue(http.body().contains("\"code\":\"all_llms_failed\""), http.body());
  }

  @Test
  void aStreamThatBreaksContinuesOnTheFallbackAsOneStream() throws Exception {
    createRemote(new JsonObject().put("fallbacks", new JsonArray().add("default")));
    JsonObject role = FakeUpstream.chunk("");
    role.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").put("role", "assistant");
    fake.behave(FakeUpstream.raw(0, false, FakeUpstream.event(role), FakeUpstream.event(FakeUpstream.chunk(", there was")),
      FakeUpstream.event(FakeUpstream.chunk(" a little"))));

    HttpResponse<String> http = post("/v1/chat/completions",
      hello().setMaxTokens(16).toJson().copy().put("model", "remote").put("stream", true));
    assertEquals(200, http.statusCode());
    assertEquals("remote", http.headers().firstValue("X-LLM-Served-By").orElse(null), "the first LLM started it");
    List<JsonObject> chunks = events(http.body());
    assertTrue(http.body().endsWith("data: [DONE]\n\n"), http.body());
    String id = chunks.get(0).getString("id");
    StringBuilder text = new StringBuilder();
    int roles = 0;
    for (JsonObject c : chunks) {
      assertEquals(id, c.getString("id"), "one id for the whole stream");
      JsonObject delta = c.getJsonArray("choices").isEmpty() ? null : c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
      if (delta != null && delta.containsKey("role")) {
        roles++;
      }
      if (delta != null && delta.getString("content") != null) {
        text.append(delta.getString("content"));
      }
    }
    assertEquals(1, roles, "one role chunk");
    // The bundled model, given the partial answer, goes on with the story.
    assertTrue(text.toString().startsWith(", there was a little") && text.length() > ", there was a little".length(),
      text.toString());
  }

  @Test
  void withoutResumeABrokenStreamEndsWithAnErrorEvent() throws Exception {
    createRemote(new JsonObject().put("fallbacks", new JsonArray().add("default")).put("resumeOnFallback", false));
    fake.behave(FakeUpstream.raw(0, false, FakeUpstream.event(FakeUpstream.chunk("half"))));
    HttpResponse<String> http = post("/v1/chat/completions", hello().toJson().copy().put("model", "remote").put("stream", true));
    assertEquals(200, http.statusCode());
    assertFalse(http.body().contains("[DONE]"), http.body());
    List<JsonObject> events = events(http.body());
    JsonObject last = events.get(events.size() - 1);
    assertTrue(last.containsKey("error"), "the stream ends with an error event: " + http.body());
    assertEquals("upstream_stream_broken", last.getJsonObject("error").getString("code"));
    assertEquals(1, fake.received.size(), "no retry after tokens were sent");
  }

  @Test
  void customTypesNameTheirClass() throws Exception {
    JsonObject persona = new JsonObject().put("class", "org.memorall.llm.persona.PersonaProviderFactory")
      .put("llm", "default").put("system", "Once upon a time");
    assertEquals("ready", registry.create("teller", "custom", persona).await(10, TimeUnit.SECONDS).getStatus());
    assertTrue(LlmClient.create(vertx).chatCompletions("teller", hello()).await(20, TimeUnit.SECONDS).getContent().length() > 0);

    ServiceException missing = assertThrows(ServiceException.class, () -> registry.create("x", "custom",
      new JsonObject().put("class", "no.such.Provider")).await(10, TimeUnit.SECONDS));
    assertEquals(400, missing.failureCode());
    assertTrue(missing.getMessage().contains("not on the class path"), missing.getMessage());
    ServiceException wrong = assertThrows(ServiceException.class, () -> registry.create("y", "custom",
      new JsonObject().put("class", "java.lang.Object")).await(10, TimeUnit.SECONDS));
    assertTrue(wrong.getMessage().contains("implements neither"), wrong.getMessage());
  }

  private HttpResponse<String> post(String path, JsonObject body) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonObject> events(String sse) {
    List<JsonObject> list = new ArrayList<>();
    for (String event : sse.split("\n\n")) {
      if (event.startsWith("data: {")) {
        list.add(new JsonObject(event.substring(6)));
      }
    }
    return list;
  }
}
