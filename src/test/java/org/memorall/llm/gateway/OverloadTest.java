package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Overload on the real model: 10 × slots concurrent streams on an LLM with 2 slots and a queue of 4. Every request
 * ends exactly once, either streamed to [DONE] or refused at once with 429, Retry-After and the OpenAI error (no
 * SSE byte before it); afterwards every slot is free and the queue is empty.
 */
@ExtendWith(VertxExtension.class)
class OverloadTest {

  private static final int SLOTS = 2;
  private static final int MAX_QUEUE = 4;
  private static final int CLIENTS = 10 * SLOTS;
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject llms = new JsonObject().put("small-queue", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", SLOTS).put("maxQueue", MAX_QUEUE)));
    TestNode.start(vertx, llms).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void everyRequestCompletesOrIsRefusedAtOnce() throws Exception {
    // ~400 tokens each: long enough that the burst outruns 2 slots + 4 queued, short enough to finish quickly.
    JsonObject request = Http.chat("Once upon a time", 400).put("ignore_eos", true).put("stream", true);
    long started = System.nanoTime();
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      futures.add(http.postAsync("/llms/small-queue/v1/chat/completions", request.copy().put("seed", i)));
    }
    int completed = 0;
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> future : futures) {
      HttpResponse<String> response = future.get(60, TimeUnit.SECONDS);
      if (response.statusCode() == 200) {
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        // Sse.events checks the framing and that [DONE] is the very last event.
        assertTrue(Sse.events(response.body()).size() > 2, response::body);
        // How long it waited for a slot, as the registry measured it.
        assertTrue(response.headers().firstValue("x-llm-queue-wait-ms").orElse("").matches("[0-9]+"),
          () -> "X-LLM-Queue-Wait-Ms: " + response.headers().firstValue("x-llm-queue-wait-ms"));
        completed++;
      } else {
        // The refusal is a plain JSON error: no SSE header or event was sent before it.
        JsonObject error = Http.error(response, 429);
        assertEquals("rate_limit_error", error.getString("type"), error::encode);
        assertEquals("queue_full", error.getString("code"), error::encode);
        assertTrue(error.getString("message").contains("small-queue"), error::encode);
        String retryAfter = response.headers().firstValue("retry-after").orElse("");
        assertTrue(retryAfter.matches("[1-9][0-9]*"), () -> "Retry-After: '" + retryAfter + "'");
        assertFalse(response.body().contains("data:"), response::body);
        refused++;
      }
    }
    int done = completed;
    int rejected = refused;
    System.out.printf("overload: %d clients on %d slots + %d queued: %d completed, %d refused with 429, in %d ms%n",
      CLIENTS, SLOTS, MAX_QUEUE, done, rejected, (System.nanoTime() - started) / 1_000_000);
    assertEquals(CLIENTS, completed + refused);
    // A refusal needs a full queue, i.e. slots + maxQueue accepted requests, and every accepted one completes.
    assertTrue(completed >= SLOTS + MAX_QUEUE, () -> done + " completed");
    // 20 generations of 400 tokens cannot all fit through 6 places while the burst arrives.
    assertTrue(refused >= 1, () -> "no request was refused: " + done + " completed");

    JsonObject info = awaitIdle("small-queue");
    assertEquals(0, info.getInteger("inFlight"), info::encode);
    assertEquals(0, info.getInteger("queued"), info::encode);
    assertEquals(0, info.getInteger("activeGenerations"), info::encode);
    assertEquals(SLOTS, info.getInteger("slots"), info::encode);
    // And the LLM serves again at once.
    HttpResponse<String> next = http.post("/llms/small-queue/v1/chat/completions", Http.chat("Once upon a time", 8).encode());
    assertEquals(200, next.statusCode(), next::body);
  }

  /** The info of LLM {@code name} once nothing is in flight or queued, waiting at most 10 s. */
  static JsonObject awaitIdle(String name) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject info = Http.json(http.get("/llms/" + name), 200);
    while ((info.getInteger("inFlight") != 0 || info.getInteger("queued") != 0
      || info.getInteger("activeGenerations", 0) != 0) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      info = Http.json(http.get("/llms/" + name), 200);
    }
    return info;
  }
}
