package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.RequestTimeouts;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-request deadline and first-token timeout: from the LLM's config or the request's headers, counted from
 * arrival (time queued included); exceeding one ends the request with a 504 and stops its generation.
 * The LLM has one slot and room for {@link #LONG} tokens, so a request with {@code ignore_eos} runs for many
 * seconds unless it is stopped; the checks allow a slow, noisy machine.
 */
@ExtendWith(VertxExtension.class)
class DeadlineTest {

  /** Tokens asked for: tens of seconds of generation for the bundled model on this machine. */
  static final int LONG = 60_000;
  private static Http http;
  private static Vertx vertx;

  @BeforeAll
  static void start(Vertx v, VertxTestContext ctx) {
    vertx = v;
    JsonObject llms = new JsonObject()
      .put("default", new JsonObject().put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1).put("contextSize", 65536)))
      // Its own limit from the config: no request may run longer than 400 ms.
      .put("strict", new JsonObject().put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1).put("contextSize", 65536).put("requestTimeoutMs", 400)));
    TestNode.start(vertx, llms).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  /** Every test leaves the slots free and stops the generations it started. */
  @AfterEach
  void slotsAreFree() throws InterruptedException {
    for (String name : List.of("default", "strict")) {
      awaitIdle(name);
    }
  }

  static JsonObject endless() {
    return Http.chat("Once upon a time", LONG).put("ignore_eos", true);
  }

  @Test
  void aStreamPastItsDeadlineEndsWithAnErrorEventAndStopsGenerating() throws InterruptedException {
    long before = tokens("default");
    HttpResponse<String> response = http.post("/v1/chat/completions", endless().put("stream", true).encode(),
      "X-Request-Timeout-Ms", "1000");
    assertEquals(200, response.statusCode(), response::body);
    String body = response.body();
    assertFalse(body.contains("[DONE]"), body);
    List<JsonObject> events = Sse.parse(body);
    assertTrue(events.size() > 2, "tokens came before the deadline");
    JsonObject error = events.get(events.size() - 1).getJsonObject("error");
    assertEquals("request_timeout", error.getString("code"), error::encode);
    assertTrue(error.getString("message").contains("1000 ms"), error::encode);
    awaitIdle("default");
    long generated = tokens("default") - before;
    assertTrue(generated < LONG / 2, () -> generated + " tokens: the generation was not stopped");
  }

  @Test
  void aCompletionPastItsDeadlineIsA504() {
    long before = tokens("default");
    HttpResponse<String> response = http.post("/v1/chat/completions", endless().encode(), "X-Request-Timeout-Ms", "500");
    JsonObject error = Http.error(response, 504);
    assertEquals("request_timeout", error.getString("code"), error::encode);
    awaitIdleUnchecked("default");
    assertTrue(tokens("default") - before < LONG / 2, "the generation was not stopped");
  }

  @Test
  void timeQueuedCountsAndAQueuedRequestLeavesTheQueue() {
    // The one slot is busy for a long time...
    CompletableFuture<HttpResponse<String>> busy = http.postAsync("/v1/chat/completions",
      endless().put("stream", true));
    awaitInFlight("default");
    // ...so these wait in the queue until their first-token timeout or deadline ends them, and never run.
    HttpResponse<String> firstToken = http.post("/v1/chat/completions",
      Http.chat("Once upon a time", 8).put("stream", true).encode(), "X-First-Token-Timeout-Ms", "300");
    assertEquals("first_token_timeout", Http.error(firstToken, 504).getString("code"), firstToken::body);
    HttpResponse<String> deadline = http.post("/v1/chat/completions", Http.chat("Once upon a time", 8).encode(),
      "X-Request-Timeout-Ms", "300");
    assertEquals("request_timeout", Http.error(deadline, 504).getString("code"), deadline::body);
    JsonObject info = Http.json(http.get("/llms/default"), 200);
    assertEquals(0, info.getInteger("queued"), info::encode);
    assertEquals(1, info.getInteger("inFlight"), info::encode);
    // The LLM's own limits are minutes: the busy one is stopped by its client going away.
    busy.cancel(true);
  }

  @Test
  void theLlmsConfigLimitsAndAHeaderCannotRaiseIt() {
    for (String header : List.of("100", "600000")) {
      long started = System.nanoTime();
      HttpResponse<String> response = http.post("/llms/strict/v1/chat/completions", endless().encode(),
        "X-Request-Timeout-Ms", header);
      JsonObject error = Http.error(response, 504);
      assertEquals("request_timeout", error.getString("code"), error::encode);
      long ms = (System.nanoTime() - started) / 1_000_000;
      assertTrue(ms < 20_000, () -> "took " + ms + " ms");
    }
  }

  @Test
  void aNonStreamedCompletionIsNotCutByTheFirstTokenTimeout() {
    HttpResponse<String> response = http.post("/v1/chat/completions",
      Http.chat("Once upon a time", 300).put("ignore_eos", true).encode(), "X-First-Token-Timeout-Ms", "1");
    assertEquals(200, response.statusCode(), response::body);
  }

  @Test
  void badLimitsInTheConfigAre400() {
    for (Object value : List.of(0, -1, "soon", 86_400_001L)) {
      HttpResponse<String> response = http.post("/llms", new JsonObject().put("name", "bad").put("type", "llamacpp")
        .put("config", new JsonObject().put("firstTokenTimeoutMs", value)));
      JsonObject error = Http.error(response, 400);
      assertTrue(error.getString("message").contains("firstTokenTimeoutMs"), error::encode);
    }
  }

  @Test
  void badHeaderValuesAre400() {
    for (String header : List.of("X-Request-Timeout-Ms", "X-First-Token-Timeout-Ms")) {
      for (String value : List.of("abc", "0", "-5", "1.5", "99999999999999", "")) {
        HttpResponse<String> response = http.post("/v1/chat/completions", Http.chat("Hi", 4).encode(), header, value);
        JsonObject error = Http.error(response, 400);
        assertEquals(header, error.getString("param"), error::encode);
      }
    }
  }

  @Test
  void theEventBusApiTakesTimeoutsToo() throws Exception {
    LlmClient client = LlmClient.create(vertx);
    ChatCompletionRequest request = new ChatCompletionRequest(endless());
    try {
      client.chatCompletions("default", request, new RequestTimeouts().setRequestTimeoutMs(300L))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw new AssertionError("the request should have timed out");
    } catch (ExecutionException e) {
      ServiceException error = assertInstanceOf(ServiceException.class, e.getCause());
      assertEquals(504, error.failureCode(), error::getMessage);
      assertEquals("request_timeout", error.getDebugInfo().getString("code"));
    }
  }

  private static long tokens(String name) {
    return Http.json(http.get("/llms/" + name), 200).getLong("tokensGenerated", 0L);
  }

  private static void awaitInFlight(String name) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Http.json(http.get("/llms/" + name), 200).getInteger("activeGenerations", 0) < 1) {
      assertTrue(System.nanoTime() < until, "the request never started");
      sleep(20);
    }
  }

  /** Waits until nothing runs on {@code name} and its token count is still (the generation really stopped). */
  static void awaitIdle(String name) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonObject info = Http.json(http.get("/llms/" + name), 200);
      if (info.getInteger("inFlight") == 0 && info.getInteger("queued") == 0 && info.getInteger("activeGenerations", 0) == 0) {
        long tokens = info.getLong("tokensGenerated", 0L);
        Thread.sleep(300);
        if (tokens(name) == tokens) {
          return;
        }
      }
      assertTrue(System.nanoTime() < until, () -> "LLM '" + name + "' did not become idle: " + info.encode());
      Thread.sleep(50);
    }
  }

  private static void awaitIdleUnchecked(String name) {
    try {
      awaitIdle(name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
