package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-client token bucket: 429 with Retry-After once a key (or an address) used its requests of the minute. */
@ExtendWith(VertxExtension.class)
class RateLimitTest {

  @Test
  void eachKeyHasItsOwnBucket(Vertx vertx, VertxTestContext ctx) {
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("apiKeys", new JsonArray().add("key-a").add("key-b")))
      .put("limits", new JsonObject().put("requestsPerMinute", 3));
    TestNode.deploy(vertx, config).compose(port -> vertx.executeBlocking(() -> {
      Http a = new Http(port, "key-a");
      for (int i = 0; i < 3; i++) {
        Http.json(a.get("/v1/models"), 200);
      }
      HttpResponse<String> limited = a.post("/v1/chat/completions", Http.chat("Once upon a time", 2));
      JsonObject error = Http.error(limited, 429);
      assertEquals("rate_limit_error", error.getString("type"));
      assertEquals("rate_limit_exceeded", error.getString("code"));
      // 3 a minute: the next token comes within 20 s.
      int retryAfter = Integer.parseInt(limited.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter >= 1 && retryAfter <= 20, "Retry-After " + retryAfter);
      // Another key is another client; health and a wrong key do not spend a's tokens.
      Http.json(new Http(port, "key-b").get("/v1/models"), 200);
      Http.error(new Http(port, "wrong").get("/v1/models"), 401);
      assertEquals(200, new Http(port).get("/health").statusCode());
      Http.error(a.get("/v1/models"), 429);
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Its own Vert.x: a second node in the same one would share the registry's event-bus address. */
  @Test
  void withoutKeysTheAddressIsTheClient(VertxTestContext ctx) {
    Vertx vertx = Vertx.vertx();
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("limits", new JsonObject().put("requestsPerMinute", 2));
    TestNode.deploy(vertx, config).compose(port -> vertx.executeBlocking(() -> {
      // Keys sent to an open gateway do not make new clients.
      Http.json(new Http(port, "one").get("/v1/models"), 200);
      Http.json(new Http(port, "two").get("/v1/models"), 200);
      HttpResponse<String> limited = new Http(port).get("/v1/models");
      assertEquals("rate_limit_exceeded", Http.error(limited, 429).getString("code"));
      assertTrue(limited.headers().firstValue("Retry-After").isPresent());
      return null;
    })).onComplete(ar -> {
      if (ar.failed()) {
        ctx.failNow(ar.cause());
      } else {
        ctx.completeNow();
      }
      vertx.close();
    });
  }

  @Test
  void bucketsRefillAtTheConfiguredRate() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    RateLimiter limiter = new RateLimiter(60, now::get); // one a second, bursts of 60
    for (int i = 0; i < 60; i++) {
      assertEquals(0, limiter.acquire("c"));
    }
    assertEquals(1000, limiter.acquire("c"));
    now.addAndGet(400_000_000L);
    assertEquals(600, limiter.acquire("c"));
    now.addAndGet(600_000_000L);
    assertEquals(0, limiter.acquire("c"));
    assertTrue(limiter.acquire("c") > 0);
    assertEquals(0, limiter.acquire("other"));
    // A long pause refills the bucket, never beyond its size.
    now.addAndGet(3_600_000_000_000L);
    for (int i = 0; i < 60; i++) {
      assertEquals(0, limiter.acquire("c"));
    }
    assertTrue(limiter.acquire("c") > 0);
  }
}
