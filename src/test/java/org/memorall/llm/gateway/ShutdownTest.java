package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graceful shutdown ({@link Node#shutdown}, what SIGTERM runs): new requests are refused at once, streams in flight
 * finish within the grace period or end with a final error event, and the shutdown completes.
 */
@ExtendWith(VertxExtension.class)
class ShutdownTest {

  private static final String CHAT = "/v1/chat/completions";
  private static final long GRACE_MS = 5000;

  @Test
  void streamsInFlightFinishOrEndWithAnErrorAndNewRequestsAreRefused(Vertx vertx) throws Exception {
    JsonObject llms = new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 2).put("contextSize", 131072)));
    Node node = Node.deploy(vertx, new NodeConfig(TestNode.config(llms)))
      .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Http http = new Http(node.httpPort());

    // Both streams have started (their headers arrived) when the shutdown begins. The endless one cannot finish
    // within the grace period (tens of seconds of tokens); the short one can, easily.
    HttpResponse<Stream<String>> endless = openStream(http, DeadlineTest.endless());
    HttpResponse<Stream<String>> shortOne = openStream(http, Http.chat("Once upon a time", 400).put("ignore_eos", true));
    CompletableFuture<String> endlessBody = CompletableFuture.supplyAsync(() -> collect(endless));
    CompletableFuture<String> shortBody = CompletableFuture.supplyAsync(() -> collect(shortOne));

    long started = System.nanoTime();
    CompletableFuture<Void> shutdown = node.shutdown(GRACE_MS).toCompletionStage().toCompletableFuture();

    // A new request is refused: no connection, or a 503 on a connection opened before.
    try {
      HttpResponse<String> refused = new Http(node.httpPort()).post(CHAT, Http.chat("Hi", 4));
      assertEquals("shutting_down", Http.error(refused, 503).getString("code"), refused::body);
    } catch (AssertionError e) {
      assertTrue(e.getCause() instanceof IOException, () -> "refused with an error or no connection: " + e);
    }

    assertTrue(shortBody.get(30, TimeUnit.SECONDS).endsWith("data: [DONE]"), "the short stream finished");
    String body = endlessBody.get(30, TimeUnit.SECONDS);
    assertFalse(body.contains("[DONE]"), body);
    String last = lastEvent(body);
    JsonObject error = new JsonObject(last.substring("data: ".length())).getJsonObject("error");
    assertEquals("shutting_down", error.getString("code"), last);

    shutdown.get(GRACE_MS + 30_000, TimeUnit.MILLISECONDS);
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertTrue(ms >= GRACE_MS - 500, () -> "the grace period was " + ms + " ms");
    assertTrue(ms < GRACE_MS + 20_000, () -> "the shutdown took " + ms + " ms");
  }

  /** Opens a stream and returns once its headers arrived, so it is in flight; the body is read later. */
  private static HttpResponse<Stream<String>> openStream(Http http, JsonObject chat) {
    HttpRequest request = http.request(CHAT).timeout(java.time.Duration.ofSeconds(60))
      .POST(HttpRequest.BodyPublishers.ofString(chat.put("stream", true).encode()))
      .header("Content-Type", "application/json").build();
    HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode());
    return response;
  }

  private static String collect(HttpResponse<Stream<String>> response) {
    try (Stream<String> lines = response.body()) {
      return lines.filter(line -> !line.isEmpty()).collect(Collectors.joining("\n"));
    }
  }

  private static String lastEvent(String body) {
    List<String> lines = List.of(body.split("\n"));
    return lines.get(lines.size() - 1);
  }
}
