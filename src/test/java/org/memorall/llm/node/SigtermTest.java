package org.memorall.llm.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real SIGTERM to a node in its own JVM ({@link Main}): the stream in flight ends with a final error event after
 * the grace period, the node logs what it ended, and the process exits.
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
    Path log = dir.resolve("node.log"); // a file, not a pipe: read whole after the exit
    builder.redirectOutput(log.toFile());
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().put("MODELS_DIR", dir.resolve("models").toString());
    builder.environment().put("CONFIG_FILE", configFile.toString());
    Process process = builder.start();
    try {
      String url = awaitListening(log);

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
      // What the node logs while it drains still reaches stderr: the JDK resets logging at exit, NodeLogManager
      // holds that reset until the node's shutdown hook is done.
      String output = Files.readString(log);
      assertTrue(output.contains("Ending 1 chat completions still running after the grace period"), output);
      assertTrue(output.contains("Shut down"), output);
    } finally {
      process.destroyForcibly();
    }
  }

  private static String awaitListening(Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the node printed no URL: " + (Files.exists(log) ? Files.readString(log) : ""));
  }
}
