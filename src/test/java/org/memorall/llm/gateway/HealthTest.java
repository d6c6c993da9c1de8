package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /health} and {@code /ready} on real nodes whose default LLM is missing, loading, ready or failed. */
@ExtendWith(VertxExtension.class)
class HealthTest {

  @Test
  void readyOnlyOnceTheDefaultLlmExistsAndIsReady(Vertx vertx) throws Exception {
    Http http = new Http(await(TestNode.start(vertx, new JsonObject())));
    // Live from the start; not ready: no default LLM yet (readiness does not create it).
    assertUp(http.get("/health"), new JsonArray());
    JsonObject down = health(http.get("/ready"), 503, "DOWN");
    assertEquals("UP", check(down, "registry").getString("status"), down::encode);
    JsonObject llm = check(down, "llm.default");
    assertEquals("DOWN", llm.getString("status"), down::encode);
    assertEquals("missing", llm.getJsonObject("data").getString("status"), down::encode);

    Http.json(http.post("/llms", new JsonObject().put("name", "default").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);
    JsonObject up = health(http.get("/ready"), 200, "UP");
    assertEquals("ready", check(up, "llm.default").getJsonObject("data").getString("status"), up::encode);
    assertUp(http.get("/health"), new JsonArray());
  }

  @Test
  void notReadyWhileTheDefaultLlmLoadsNorAfterItFailed(Vertx vertx) throws Exception {
    Http http = new Http(await(TestNode.start(vertx, new JsonObject())));
    var created = http.postAsync("/llms", new JsonObject().put("name", "default").put("type", "custom")
      .put("config", new JsonObject().put("class", DyingProvider.class.getName()).put("startDelayMs", 1500)));
    JsonObject loading = awaitReady(http, "loading");
    assertEquals("DOWN", check(loading, "llm.default").getString("status"), loading::encode);
    assertEquals(201, created.get(30, TimeUnit.SECONDS).statusCode());
    health(http.get("/ready"), 200, "UP");

    // Its provider vanishes: the LLM is failed, the node not ready, but alive.
    http.post("/v1/chat/completions", Http.chat("die", 4));
    JsonObject failed = awaitReady(http, "failed");
    assertEquals("DOWN", check(failed, "llm.default").getString("status"), failed::encode);
    health(http.get("/ready"), 503, "DOWN");
    assertUp(http.get("/health"), new JsonArray());
  }

  /** Polls {@code /ready} until the default LLM has {@code status}. */
  private static JsonObject awaitReady(Http http, String status) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      HttpResponse<String> response = http.get("/ready");
      JsonObject body = new JsonObject(response.body());
      JsonObject data = check(body, "llm.default").getJsonObject("data", new JsonObject());
      if (status.equals(data.getString("status"))) {
        assertEquals(503, response.statusCode(), body::encode);
        assertEquals("DOWN", body.getString("status"), body::encode);
        return body;
      }
      assertTrue(System.nanoTime() < until, body::encode);
      Thread.sleep(20);
    }
  }

  private static void assertUp(HttpResponse<String> response, JsonArray checks) {
    assertEquals(checks, health(response, 200, "UP").getJsonArray("checks"));
  }

  /** The Vert.x Health Checks shape: status, checks, outcome. */
  private static JsonObject health(HttpResponse<String> response, int status, String outcome) {
    JsonObject body = Http.json(response, status);
    assertEquals(outcome, body.getString("status"), body::encode);
    assertEquals(outcome, body.getString("outcome"), body::encode);
    assertTrue(body.getValue("checks") instanceof JsonArray, body::encode);
    return body;
  }

  private static JsonObject check(JsonObject health, String id) {
    return health.getJsonArray("checks").stream().map(JsonObject.class::cast)
      .filter(c -> id.equals(c.getString("id"))).findFirst()
      .orElseThrow(() -> new AssertionError("no check " + id + ": " + health.encode()));
  }

  static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
