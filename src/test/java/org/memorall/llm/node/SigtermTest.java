package org.memorall.llm.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real SIGTERM to a node in its own JVM ({@link Main}): the stream in flight ends with a final error event after
 * the grace period, and the process exits.
 */
class SigtermTest {

  private static final Pattern LISTENING = Pattern.compile("Listening on (http://[^ ]+)");

  @TempDir
  Path dir;

  @Test
  void sigtermEndsTheStreamsInFlightAndExits() throws Exception {
    JsonObject config = new JsonObject()
      .put("shutdownGraceMs", 1000)
      .put("llms", new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1).put("contextSize", 65536))));
    Path configFile = Files.writeString(dir.resolve("config.json"), config.encode());
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
      Main.class.getName()).redirectErrorStream(true);
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().put("MODELS_DIR", dir.resolve("models").toString());
    builder.environment().put("CONFIG_FILE", configFile.toString());
    Process process = builder.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String url = awaitListening(out);
      // Keep draining its output so that it never blocks on a full pipe.
      CompletableFuture.runAsync(() -> out.lines().forEach(line -> { }));

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      JsonObject chat = new JsonObject().put("stream", true).put("max_tokens", 60_000).put("ignore_eos", true)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")));
      HttpResponse<Stream<String>> stream = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(chat.encode())).build(), HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, stream.statusCode());

      process.destroy(); // SIGTERM
      String body;
      try (Stream<String> lines = stream.body()) {
        body = lines.filter(line -> !line.isEmpty()).collect(Collectors.joining("\n"));
      }
      assertFalse(body.contains("[DONE]"), "the stream cannot finish within the grace period");
      String last = body.substring(body.lastIndexOf('\n') + 1);
      assertEquals("shutting_down", new JsonObject(last.substring("data: ".length())).getJsonObject("error")
        .getString("code"), last);
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits");
    } finally {
      process.destroyForcibly();
    }
  }

  private static String awaitListening(BufferedReader out) throws Exception {
    CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            return m.group(1);
          }
        }
        return null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    String found = url.get(60, TimeUnit.SECONDS);
    assertNotNull(found, "the node printed its URL");
    return found;
  }
}
