package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secrets appear in no response and no log line, whatever the request does: one planted in an LLM's config, the
 * gateway's own API and admin keys, and a wrong key a client presented.
 */
@ExtendWith(VertxExtension.class)
class SecretsTest {

  private static final String SECRET = "sk-planted-4f9c2e";
  private static final String GATEWAY_KEY = "gw-user-key-7a1d03";
  private static final String ADMIN_KEY = "gw-admin-key-c55e19";
  private static final String WRONG_KEY = "gw-wrong-key-0b7f42";
  private static final List<String> SECRETS = List.of(SECRET, GATEWAY_KEY, ADMIN_KEY, WRONG_KEY);
  private static final List<String> LOG_LINES = new ArrayList<>();
  private static final Handler CAPTURE = new Handler() {
    private final SimpleFormatter formatter = new SimpleFormatter();

    @Override
    public synchronized void publish(LogRecord record) {
      LOG_LINES.add(formatter.format(record));
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    Logger root = Logger.getLogger("");
    root.addHandler(CAPTURE);
    root.setLevel(Level.ALL);
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("apiKeys", new JsonArray().add(GATEWAY_KEY)).put("adminKeys", new JsonArray().add(ADMIN_KEY)))
      .put("limits", new JsonObject().put("requestsPerMinute", 1000));
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(port -> {
      http = new Http(port, ADMIN_KEY);
      ctx.completeNow();
    }));
  }

  @AfterAll
  static void stop() {
    Logger root = Logger.getLogger("");
    root.removeHandler(CAPTURE);
    root.setLevel(Level.INFO);
  }

  @Test
  void secretsAppearInNoResponseAndNoLog() {
    List<HttpResponse<String>> responses = new ArrayList<>();
    // A remote LLM whose upstream is this node's own default LLM: its key is the gateway's, and a header holds another.
    JsonObject config = new JsonObject().put("baseURL", "http://127.0.0.1:" + http.port + "/llms/default/v1")
      .put("apiKey", GATEWAY_KEY).put("headers", new JsonObject().put("X-Api-Key", SECRET)
        .put("Proxy-Authorization", "Bearer " + SECRET));
    responses.add(http.post("/llms", new JsonObject().put("name", "keyed").put("type", "lmstudio").put("config", config)));
    assertEquals(201, responses.get(0).statusCode(), responses.get(0).body());
    responses.add(http.get("/llms"));
    responses.add(http.get("/llms/keyed"));
    responses.add(http.post("/llms/keyed/v1/chat/completions", Http.chat("Once upon a time", 4)));
    responses.add(http.post("/v1/chat/completions", Http.chat("Once upon a time", 4).put("model", "keyed").put("stream", true)));
    // Failing requests must not echo the secret either.
    responses.add(http.post("/llms", new JsonObject().put("name", "keyed").put("type", "lmstudio").put("config", config)));
    responses.add(http.post("/llms", new JsonObject().put("name", "bad").put("type", "lmstudio")
      .put("config", config.copy().put("maxConcurrency", "two"))));
    responses.add(http.post("/llms", new JsonObject().put("name", "bad3").put("type", "lmstudio")
      .put("config", config.copy().put("apiKee", SECRET))));
    responses.add(http.post("/llms", new JsonObject().put("name", "bad2").put("type", "nope").put("config", config)));
    responses.add(http.get("/llms/keyed/models"));
    responses.add(http.delete("/llms/keyed"));
    // The gateway's keys: refused, wrong and non-admin keys are never echoed.
    Http user = new Http(http.port, GATEWAY_KEY);
    responses.add(user.post("/v1/chat/completions", Http.chat("Once upon a time", 2)));
    responses.add(user.post("/llms", new JsonObject().put("name", "nope").put("type", "llamacpp")));
    responses.add(new Http(http.port, WRONG_KEY).get("/v1/models"));
    responses.add(new Http(http.port, WRONG_KEY).post("/llms", new JsonObject().put("name", "nope").put("type", "llamacpp")));
    responses.add(new Http(http.port, GATEWAY_KEY + "x").get("/llms"));
    responses.add(new Http(http.port).get("/llms"));
    responses.add(http.get("/metrics"));
    assertEquals(List.of(201, 200, 200, 200, 200, 409, 400, 400, 400, 200, 200), responses.subList(0, 11).stream()
      .map(HttpResponse::statusCode).collect(Collectors.toList()));
    assertEquals(List.of(200, 403, 401, 401, 401, 401), responses.subList(11, 17).stream()
      .map(HttpResponse::statusCode).collect(Collectors.toList()));

    for (HttpResponse<String> r : responses) {
      for (String secret : SECRETS) {
        assertFalse(r.body().contains(secret), () -> r.uri() + " answered with a secret: " + r.body());
        assertFalse(r.headers().map().toString().contains(secret), () -> r.uri() + " sent a secret in a header");
      }
    }
    assertTrue(responses.get(2).body().contains("***"), "the key is shown redacted: " + responses.get(2).body());
    List<String> lines;
    synchronized (CAPTURE) {
      lines = new ArrayList<>(LOG_LINES);
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("keyed")), "the LLM's creation was logged at all");
    assertTrue(lines.stream().anyMatch(l -> l.contains("1 API key(s)")), "the keys were counted in the log");
    for (String line : lines) {
      for (String secret : SECRETS) {
        assertFalse(line.contains(secret), () -> "a log line holds a secret: " + line);
      }
    }
  }
}
