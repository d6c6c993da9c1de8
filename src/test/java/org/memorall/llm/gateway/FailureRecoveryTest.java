package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.Awaits;
import org.memorall.llm.TestNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An LLM that was ready and then broke (its model cannot load again, its provider verticle vanished) is marked
 * failed with the reason, fails fast with 503 + Retry-After while it backs off (or goes to its fallbacks), and is
 * re-initialised by the first request after the backoff; the other LLMs serve all along.
 */
@ExtendWith(VertxExtension.class)
class FailureRecoveryTest {

  private static final String CHAT = "/v1/chat/completions";
  private static Http http;

  @TempDir
  static Path files;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void aModelThatCannotLoadAgainFailsItsLlmUntilItCanThenItRecovers() throws Exception {
    Path file = files.resolve("fragile.gguf");
    byte[] model = bundledModel();
    Files.write(file, model);
    Http.json(http.post("/llms", new JsonObject().put("name", "fragile").put("type", "llamacpp")
      .put("config", new JsonObject().put("model", file.toString()).put("parallel", 1))), 201);
    try {
      assertAnswers(http.post(path("fragile"), Http.chat("Once upon a time", 4)));
      String id = Http.json(http.get("/llms/fragile"), 200).getString("model");
      Http.json(http.post("/llms/fragile/models/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/unload", ""), 200);
      Files.delete(file);

      // The reload fails: the request in flight and those queued behind it get a clear 503.
      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        requests.add(http.postAsync(path("fragile"), Http.chat("Once upon a time", 4).put("stream", i % 2 == 0)));
      }
      for (CompletableFuture<HttpResponse<String>> request : requests) {
        assertFailed(join(request));
      }
      JsonObject info = Http.json(http.get("/llms/fragile"), 200);
      assertEquals("failed", info.getString("status"), info::encode);
      assertTrue(info.getString("error").contains(file.toString()), info::encode);
      assertEquals(0, info.getInteger("inFlight"), info::encode);
      assertEquals(0, info.getInteger("queued"), info::encode);

      // The other LLM is unaffected.
      assertAnswers(http.post(CHAT, Http.chat("Once upon a time", 4)));

      // Still broken after the backoff: it tries again, fails again and backs off longer.
      awaitRetry("fragile");
      assertFailed(http.post(path("fragile"), Http.chat("Once upon a time", 4)));
      JsonObject again = Http.json(http.get("/llms/fragile"), 200);
      assertEquals("failed", again.getString("status"), again::encode);
      assertEquals(2, again.getInteger("failuresInARow"), again::encode);

      // Repaired: the first request after the backoff re-initialises it.
      Files.write(file, model);
      awaitRetry("fragile");
      assertAnswers(http.post(path("fragile"), Http.chat("Once upon a time", 4)));
      JsonObject ready = Http.json(http.get("/llms/fragile"), 200);
      assertEquals("ready", ready.getString("status"), ready::encode);
      // The slot is freed when the provider's stream has ended, which may be just after the answer left.
      Awaits.eventually("the slot is free", 5,
        () -> Http.json(http.get("/llms/fragile"), 200).getInteger("inFlight") == 0);
    } finally {
      http.delete("/llms/fragile");
    }
  }

  @Test
  void aVanishedProviderIsFailedItsRequestsGoToTheFallbackAndItComesBack() throws Exception {
    Http.json(http.post("/llms", new JsonObject().put("name", "mortal").put("type", "custom")
      .put("config", new JsonObject().put("class", DyingProvider.class.getName())
        .put("fallbacks", new JsonArray().add("default")))), 201);
    Http.json(http.post("/llms", new JsonObject().put("name", "lonely").put("type", "custom")
      .put("config", new JsonObject().put("class", DyingProvider.class.getName()))), 201);
    try {
      assertEquals("mortal", servedBy(http.post(path("mortal"), Http.chat("hi", 4))));
      // Its verticle vanishes mid-request: the request is answered by the fallback...
      assertEquals("default", servedBy(http.post(path("mortal"), Http.chat("die", 4))));
      JsonObject info = Http.json(http.get("/llms/mortal"), 200);
      assertEquals("failed", info.getString("status"), info::encode);
      assertTrue(info.getString("error").contains("does not answer"), info::encode);
      // ...and so are the next ones while it backs off.
      assertEquals("default", servedBy(http.post(path("mortal"), Http.chat("hi", 4))));

      // Without a fallback: a clear 503 with Retry-After, at once.
      http.post(path("lonely"), Http.chat("die", 4));
      awaitStatus("lonely", "failed");
      long started = System.nanoTime();
      assertFailed(http.post(path("lonely"), Http.chat("hi", 4)));
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "a failed LLM answers at once");

      // After the backoff, a new provider serves.
      awaitRetry("mortal");
      assertEquals("mortal", servedBy(http.post(path("mortal"), Http.chat("hi", 4))));
      assertEquals("ready", Http.json(http.get("/llms/mortal"), 200).getString("status"));
    } finally {
      http.delete("/llms/mortal");
      http.delete("/llms/lonely");
    }
  }

  @Test
  void aLoadingLlmShowsItsPercent() throws Exception {
    CompletableFuture<HttpResponse<String>> created = http.postAsync("/llms", new JsonObject().put("name", "slow")
      .put("type", "custom").put("config", new JsonObject().put("class", DyingProvider.class.getName())
        .put("startDelayMs", 1500)));
    try {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      HttpResponse<String> loading;
      while ((loading = http.get("/llms/slow")).statusCode() == 404) {
        assertTrue(System.nanoTime() < until, "the LLM never appeared");
        Thread.sleep(10);
      }
      JsonObject info = Http.json(loading, 200);
      assertEquals("loading", info.getString("status"), info::encode);
      assertEquals(0, info.getInteger("percent"), info::encode);
      Http.json(join(created), 201);
      JsonObject ready = Http.json(http.get("/llms/slow"), 200);
      assertEquals("ready", ready.getString("status"), ready::encode);
      assertTrue(!ready.containsKey("percent"), ready::encode);
    } finally {
      join(created);
      http.delete("/llms/slow");
    }
  }

  private static String path(String name) {
    return "/llms/" + name + "/v1/chat/completions";
  }

  private static byte[] bundledModel() throws IOException {
    try (InputStream in = FailureRecoveryTest.class.getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      return in.readAllBytes();
    }
  }

  private static void assertAnswers(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response::body);
  }

  private static String servedBy(HttpResponse<String> response) {
    assertAnswers(response);
    return response.headers().firstValue(Responses.SERVED_BY_HEADER).orElse(null);
  }

  /** A 503 naming the failure, before any token, with a Retry-After. */
  private static void assertFailed(HttpResponse<String> response) {
    JsonObject error = Http.error(response, 503);
    assertEquals("llm_failed", error.getString("code"), error::encode);
    assertTrue(error.getString("message").contains("failed"), error::encode);
    assertTrue(response.headers().firstValue("Retry-After").isPresent(), response::body);
  }

  /** Waits until the failed LLM's backoff has passed. */
  private static void awaitRetry(String name) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject info;
    while ((info = Http.json(http.get("/llms/" + name), 200)).getLong("retryInMs", 0L) > 0) {
      assertTrue(System.nanoTime() < until, info::encode);
      Thread.sleep(Math.min(200, info.getLong("retryInMs")));
    }
  }

  private static void awaitStatus(String name, String status) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject info;
    while (!status.equals((info = Http.json(http.get("/llms/" + name), 200)).getString("status"))) {
      assertTrue(System.nanoTime() < until, info::encode);
      Thread.sleep(50);
    }
  }

  private static HttpResponse<String> join(CompletableFuture<HttpResponse<String>> f) {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer within 30 s: " + e, e);
    }
  }
}
