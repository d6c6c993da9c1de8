package org.memorall.llm.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.llamacpp.RandomGguf;
import org.memorall.llm.node.Main;

import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold start and memory of a node started as its own JVM ({@code java -cp ... Main}, default JVM options): time
 * from starting the process to {@code /health} answering (no LLM configured), to {@code /ready} (the default LLM
 * loaded) and to the first token of a chat completion; resident memory (VmRSS) once idle, with no model, the bundled
 * model and the random 35M model. Writes {@code target/bench/startup.{md,json}}; asserts nothing about speed. Run
 * with {@code ./bench.sh} or {@code ./mvnw -B test -Dbench=true -Dtest=StartupBenchmark}.
 */
@Tag("benchmark")
class StartupBenchmark {

  private static final int ROUNDS = Integer.getInteger("bench.startRounds", 3);
  private static final Pattern LISTENING = Pattern.compile("Listening on (http://[^ ]+)");
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  private record Setup(String label, JsonObject llms, String readyPath) {
  }

  @Test
  void report() throws Exception {
    Path random = RandomGguf.write(dir.resolve("random.gguf"), RandomGguf.Dims.BENCHMARK, 7);
    List<Setup> setups = List.of(
      new Setup("no LLM", new JsonObject(), "/health"),
      new Setup("default LLM, bundled stories260K", llm(new JsonObject()), "/ready"),
      new Setup("default LLM, random 35M F16", llm(new JsonObject().put("model", random.toString())), "/ready"));
    BenchReport report = new BenchReport("startup", "Cold start and memory");
    report.line(String.format("A node in its own JVM (Java %s, default options, %d cores), median [min-max] of %d "
        + "starts. Serving: from starting the process to `/health` (no LLM) or `/ready` (default LLM loaded) answering "
        + "200. First token: to the first token of a streamed chat completion sent once serving. RSS: VmRSS after "
        + "that request and 1 s idle.", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
      ROUNDS));
    report.line("");
    report.line("| node | to serving ms | to first token ms | RSS MB |");
    report.line("|---|---|---|---|");
    JsonArray rows = new JsonArray();
    for (Setup setup : setups) {
      Samples serving = new Samples();
      Samples firstToken = new Samples();
      Samples rss = new Samples();
      for (int r = 0; r < ROUNDS; r++) {
        start(setup, serving, firstToken, rss);
      }
      boolean hasLlm = !setup.llms.isEmpty();
      report.line(String.format("| %s | %s | %s | %s |", setup.label, serving.spread("%.0f"),
        hasLlm ? firstToken.spread("%.0f") : "-", rss.spread("%.0f")));
      rows.add(new JsonObject().put("node", setup.label).put("servingMs", serving.toJson())
        .put("firstTokenMs", hasLlm ? firstToken.toJson() : null)
        .put("rssMb", rss.toJson()));
    }
    report.json().put("rounds", ROUNDS).put("nodes", rows);
    report.write();
  }

  private static JsonObject llm(JsonObject config) {
    return new JsonObject().put("default", new JsonObject().put("type", "llamacpp").put("config", config));
  }

  private void start(Setup setup, Samples serving, Samples firstToken, Samples rss) throws Exception {
    Path configFile = Files.writeString(dir.resolve("config.json"), new JsonObject().put("llms", setup.llms).encode());
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
      Main.class.getName()).redirectErrorStream(true);
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().put("MODELS_DIR", dir.resolve("models").toString());
    builder.environment().put("CONFIG_FILE", configFile.toString());
    long t0 = System.nanoTime();
    Process process = builder.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String url = listening(out);
      Thread drain = new Thread(() -> out.lines().forEach(line -> { }));
      drain.setDaemon(true);
      drain.start();
      while (status(url + setup.readyPath) != 200) {
        Thread.sleep(5);
      }
      serving.add((System.nanoTime() - t0) / 1e6);
      if (!setup.llms.isEmpty()) {
        JsonObject chat = new JsonObject().put("stream", true).put("max_tokens", 8).put("messages", new JsonArray()
          .add(new JsonObject().put("role", "user").put("content", "Once upon a time")));
        HttpResponse<java.util.stream.Stream<String>> stream = CLIENT.send(HttpRequest.newBuilder(
            URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat.encode())).build(),
          HttpResponse.BodyHandlers.ofLines());
        try (java.util.stream.Stream<String> lines = stream.body()) {
          lines.filter(line -> line.contains("\"delta\":{\"content\":\"")).findFirst()
            .orElseThrow(() -> new AssertionError("no token"));
        }
        firstToken.add((System.nanoTime() - t0) / 1e6);
      }
      Thread.sleep(1000);
      rss.add(rssKb(process.pid()) / 1024.0);
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static int status(String url) {
    try {
      return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  private static String listening(BufferedReader out) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("the node exited before listening");
  }

  /** VmRSS of a process, in kB, from /proc. */
  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }
}
