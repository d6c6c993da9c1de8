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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that go away: while queued they leave the queue without running; while generating their generation
 * stops and the slot goes to the next in line. One slot with a large context, so that one generation
 * ({@code ignore_eos}, {@value #LONG} tokens) outlasts the test by far and tokens generated tell what ran.
 */
@ExtendWith(VertxExtension.class)
class DisconnectTest {

  private static final int LONG = 60_000;
  private static final String LLM = "one";
  private static final String CHAT = "/llms/" + LLM + "/v1/chat/completions";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject llms = new JsonObject().put(LLM, new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("contextSize", 65_536).put("maxQueue", 8)));
    TestNode.start(vertx, llms).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  private static String longStream(int seed) {
    return Http.chat("Once upon a time", LONG).put("ignore_eos", true).put("temperature", 0.8).put("seed", seed)
      .put("stream", true).encode();
  }

  @Test
  void queuedClientsThatLeaveNeverRun() throws Exception {
    long before = info().getLong("tokensGenerated");
    try (RawHttp running = RawHttp.post(http.port, CHAT, longStream(1))) {
      running.readUntil("data: ", 2);
      JsonObject info;
      try (RawHttp queued1 = RawHttp.post(http.port, CHAT, longStream(2));
           RawHttp queued2 = RawHttp.post(http.port, CHAT, longStream(3))) {
        info = await(i -> i.getInteger("queued") == 2);
        assertEquals(2, info.getInteger("queued"), info::encode);
      }
      info = await(i -> i.getInteger("queued") == 0);
      // They left while the one slot was still taken by the first generation: they cannot have run.
      assertEquals(0, info.getInteger("queued"), info::encode);
      assertEquals(1, info.getInteger("inFlight"), info::encode);
      assertEquals(1, info.getInteger("activeGenerations"), info::encode);
      running.readUntil("data: ", 20); // still streaming
    }
    JsonObject idle = await(i -> i.getInteger("inFlight") == 0 && i.getInteger("activeGenerations") == 0);
    assertEquals(0, idle.getInteger("inFlight"), idle::encode);
    long generated = idle.getLong("tokensGenerated") - before;
    // Only the first generation ran, and it stopped when its client left.
    assertTrue(generated < LONG, () -> generated + " tokens generated");
    Thread.sleep(1500);
    JsonObject later = info();
    assertEquals(idle.getLong("tokensGenerated"), later.getLong("tokensGenerated"), "nothing runs any more");
    assertEquals(0, later.getInteger("queued"), later::encode);
    assertServesPromptly();
  }

  @Test
  void aClientThatLeavesWhileGeneratingHandsTheSlotOn() throws Exception {
    long before = info().getLong("tokensGenerated");
    CompletableFuture<HttpResponse<String>> next;
    try (RawHttp running = RawHttp.post(http.port, CHAT, longStream(4))) {
      running.readUntil("data: ", 3);
      next = http.postAsync(CHAT, Http.chat("Once upon a time", 16).put("stream", true));
      JsonObject info = await(i -> i.getInteger("queued") == 1);
      assertEquals(1, info.getInteger("queued"), info::encode);
      assertEquals(1, info.getInteger("inFlight"), info::encode);
    }
    // The queued request gets the slot once the generation of the client that left has stopped.
    HttpResponse<String> response = next.get(30, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response::body);
    assertTrue(Sse.events(response.body()).size() > 2, response::body);
    JsonObject idle = await(i -> i.getInteger("inFlight") == 0 && i.getInteger("activeGenerations") == 0);
    assertEquals(0, idle.getInteger("inFlight"), idle::encode);
    assertEquals(0, idle.getInteger("activeGenerations"), idle::encode);
    long generated = idle.getLong("tokensGenerated") - before;
    assertTrue(generated < LONG, () -> generated + " tokens generated: the generation was not stopped");
  }

  private static void assertServesPromptly() {
    long started = System.nanoTime();
    HttpResponse<String> response = http.post(CHAT, Http.chat("Once upon a time", 8));
    assertEquals(200, response.statusCode(), response::body);
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "the next request waited");
  }

  private static JsonObject info() {
    return Http.json(http.get("/llms/" + LLM), 200);
  }

  /** The LLM's info once {@code condition} holds, or the last one seen after 10 s. */
  private static JsonObject await(Predicate<JsonObject> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject info = info();
    while (!condition.test(info) && System.nanoTime() < deadline) {
      Thread.sleep(25);
      info = info();
    }
    return info;
  }
}
