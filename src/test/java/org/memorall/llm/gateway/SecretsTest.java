package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A secret planted in an LLM's config appears in no response and no log line, whatever the request does. */
@ExtendWith(VertxExtension.class)
class SecretsTest {

  private static final String SECRET = "sk-planted-4f9c2e";
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
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
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
    JsonObject config = new JsonObject().put("parallel", 1).put("apiKey", SECRET)
      .put("headers", new JsonObject().put("Authorization", "Bearer " + SECRET));
    responses.add(http.post("/llms", new JsonObject().put("name", "keyed").put("type", "llamacpp").put("config", config)));
    assertEquals(201, responses.get(0).statusCode(), responses.get(0).body());
    responses.add(http.get("/llms"));
    responses.add(http.get("/llms/keyed"));
    responses.add(http.post("/llms/keyed/v1/chat/completions", Http.chat("Once upon a time", 4)));
    responses.add(http.post("/v1/chat/completions", Http.chat("Once upon a time", 4).put("model", "keyed").put("stream", true)));
    // Failing requests must not echo the secret either.
    responses.add(http.post("/llms", new JsonObject().put("name", "keyed").put("type", "llamacpp").put("config", config)));
    responses.add(http.post("/llms", new JsonObject().put("name", "bad").put("type", "llamacpp")
      .put("config", config.copy().put("parallel", "two"))));
    responses.add(http.post("/llms", new JsonObject().put("name", "bad2").put("type", "nope").put("config", config)));
    responses.add(http.get("/llms/keyed/models"));
    responses.add(http.delete("/llms/keyed"));

    for (HttpResponse<String> r : responses) {
      assertFalse(r.body().contains(SECRET), () -> r.uri() + " answered with the secret: " + r.body());
      assertFalse(r.headers().map().toString().contains(SECRET), () -> r.uri() + " sent the secret in a header");
    }
    assertTrue(responses.get(2).body().contains("***"), "the key is shown redacted: " + responses.get(2).body());
    List<String> lines;
    synchronized (CAPTURE) {
      lines = new ArrayList<>(LOG_LINES);
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("keyed")), "the LLM's creation was logged at all");
    for (String line : lines) {
      assertFalse(line.contains(SECRET), () -> "a log line holds the secret: " + line);
    }
  }
}
