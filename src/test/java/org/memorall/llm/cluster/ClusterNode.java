package org.memorall.llm.cluster;

import io.vertx.core.json.JsonObject;
import org.memorall.llm.node.Main;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real node in its own JVM ({@link Main} from the test class path), clustered over Hazelcast on loopback with
 * its own HTTP port. Its output goes to {@code <dir>/<name>.log} and, on failure, can be read with {@link #log()}.
 */
final class ClusterNode implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("Listening on (http://[^ ]+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  final String name;
  final String url;
  private final Process process;
  private final Path logFile;

  private ClusterNode(String name, String url, Process process, Path logFile) {
    this.name = name;
    this.url = url;
    this.process = process;
    this.logFile = logFile;
  }

  /** A free port on loopback now (Hazelcast's port-auto-increment covers the rare race). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JVM options of the test nodes: small, and quick to start (C1 only). */
  static final List<String> TEST_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /** Starts node {@code name} of cluster {@code cluster} on Hazelcast port {@code port}; waits until it listens. */
  static ClusterNode start(Path dir, String cluster, String name, int port, List<Integer> members, JsonObject config)
    throws Exception {
    return start(dir, cluster, name, port, members, config, TEST_JVM);
  }

  static ClusterNode start(Path dir, String cluster, String name, int port, List<Integer> members, JsonObject config,
                           List<String> jvmOptions) throws Exception {
    Path configFile = Files.writeString(dir.resolve(name + ".json"), config.encode());
    Path logFile = dir.resolve(name + ".log");
    Path javaBin = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command = new java.util.ArrayList<>(List.of(javaBin.toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "--cluster"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().put("MODELS_DIR", dir.resolve("models").toString());
    builder.environment().put("CONFIG_FILE", configFile.toString());
    builder.environment().put("LLM_CLUSTER_NAME", cluster);
    builder.environment().put("LLM_CLUSTER_PORT", Integer.toString(port));
    builder.environment().put("LLM_CLUSTER_MEMBERS", String.join(",",
      members.stream().map(p -> "127.0.0.1:" + p).toArray(String[]::new)));
    builder.environment().put("LLM_NODE_NAME", name);
    Process process = builder.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> url = new CompletableFuture<>();
    // Keep draining its output (to the log file) so that it never blocks on a full pipe.
    Thread reader = new Thread(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          Files.writeString(logFile, line + "\n", StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        // The process is gone.
      }
      url.complete(null);
    }, "node-" + name + "-output");
    reader.setDaemon(true);
    reader.start();
    ClusterNode node = new ClusterNode(name, null, process, logFile);
    String found;
    try {
      found = url.get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("node " + name + " did not start:\n" + node.log(), e);
    }
    if (found == null) {
      throw new IllegalStateException("node " + name + " exited:\n" + node.log());
    }
    return new ClusterNode(name, found, process, logFile);
  }

  String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** {@code kill -9}: no shutdown hook, no goodbye to the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the node hangs (no answers, no reports, its connections stay open) until it is killed. */
  void pause() throws Exception {
    int exit = new ProcessBuilder("kill", "-STOP", Long.toString(process.pid())).start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("kill -STOP exited with " + exit);
    }
  }

  /** SIGTERM: a graceful shutdown; returns at once. */
  void terminate() {
    process.destroy();
  }

  boolean awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  // ---- HTTP ----

  record Reply(int status, JsonObject body) {
  }

  Reply get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url + path)).GET());
  }

  Reply post(String path, JsonObject body) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  Reply delete(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url + path)).DELETE());
  }

  private static Reply send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(60)).build(),
      HttpResponse.BodyHandlers.ofString());
    String body = response.body();
    return new Reply(response.statusCode(), body.isEmpty() ? new JsonObject() : new JsonObject(body));
  }

  /** A streamed chat completion: the SSE lines, as they arrive. */
  HttpResponse<java.util.stream.Stream<String>> stream(JsonObject chat) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(120))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
        chat.copy().put("stream", true).encode())).build(), HttpResponse.BodyHandlers.ofLines());
  }
}
