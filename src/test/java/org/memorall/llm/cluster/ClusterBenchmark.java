package org.memorall.llm.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The added latency of the cluster hop: the same streamed chat completion sent to node a, which hosts the LLM, and
 * to node b, which relays it to a over the clustered event bus. Time to first token is from sending the request to
 * the first token's arrival; token latency is from the token's making (its text is the provider's
 * {@link System#nanoTime()}, one clock for every JVM of a machine) to its arrival. Requests alternate between the
 * two nodes, one at a time. A benchmark, not a test: run with
 * {@code ./mvnw test -Dtest=ClusterBenchmark -Dbench=true}; writes {@code target/benchmark-cluster.txt}.
 */
@Tag("benchmark")
class ClusterBenchmark {

  private static final int REQUESTS = Integer.getInteger("bench.requests", 500);
  private static final int TOKENS = 20;

  @TempDir
  Path dir;

  @Test
  void report() throws Exception {
    String cluster = "llm-bench-" + UUID.randomUUID();
    List<Integer> ports = List.of(ClusterNode.freePort(), ClusterNode.freePort());
    List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC"); // the full JIT, as in production
    try (ClusterNode a = ClusterNode.start(dir, cluster, "a", ports.get(0), ports, new JsonObject(), jvm);
         ClusterNode b = ClusterNode.start(dir, cluster, "b", ports.get(1), ports, new JsonObject(), jvm)) {
      JsonObject config = new JsonObject().put("class", TickingProvider.class.getName()).put("stamp", true)
        .put("intervalMs", 2).put("slots", 1);
      assertEquals(201, a.post("/llms", new JsonObject().put("name", "bench").put("type", "custom")
        .put("config", config)).status());
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (b.get("/llms/bench").body().getJsonArray("nodes", new io.vertx.core.json.JsonArray()).isEmpty()
        && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      List<Double> ttftLocal = new ArrayList<>();
      List<Double> ttftHop = new ArrayList<>();
      List<Double> tokenLocal = new ArrayList<>();
      List<Double> tokenHop = new ArrayList<>();
      for (int i = 0; i < 300; i++) { // warm-up: both paths compiled by C2
        run(a, null, null);
        run(b, null, null);
      }
      for (int i = 0; i < REQUESTS; i++) {
        run(a, ttftLocal, tokenLocal);
        run(b, ttftHop, tokenHop);
      }
      String report = String.format("Cluster hop, %d streamed requests of %d tokens per path, one at a time%n"
          + "| path | TTFT p50 | TTFT p99 | token latency p50 | token latency p99 |%n|---|---|---|---|---|%n"
          + "| node a (hosts the LLM) | %s | %s | %s | %s |%n| node b → a (cluster hop) | %s | %s | %s | %s |%n"
          + "| added by the hop | %s | %s | %s | %s |%n", REQUESTS, TOKENS,
        ms(p(ttftLocal, 50)), ms(p(ttftLocal, 99)), ms(p(tokenLocal, 50)), ms(p(tokenLocal, 99)),
        ms(p(ttftHop, 50)), ms(p(ttftHop, 99)), ms(p(tokenHop, 50)), ms(p(tokenHop, 99)),
        ms(p(ttftHop, 50) - p(ttftLocal, 50)), ms(p(ttftHop, 99) - p(ttftLocal, 99)),
        ms(p(tokenHop, 50) - p(tokenLocal, 50)), ms(p(tokenHop, 99) - p(tokenLocal, 99)));
      System.out.print(report);
      Files.writeString(Paths.get("target", "benchmark-cluster.txt"), report);
    }
  }

  /** One streamed request; adds its time to first token and each token's latency, in ms. */
  private static void run(ClusterNode node, List<Double> ttft, List<Double> tokens) throws Exception {
    JsonObject chat = ClusterTest.chat("bench", TOKENS);
    long sent = System.nanoTime();
    HttpResponse<Stream<String>> response = node.stream(chat);
    boolean first = true;
    try (Stream<String> lines = response.body()) {
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        long now = System.nanoTime();
        if (!line.startsWith("data: {")) {
          continue;
        }
        String content = new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0)
          .getJsonObject("delta").getString("content", "").trim();
        if (content.isEmpty()) {
          continue;
        }
        if (first && ttft != null) {
          ttft.add((now - sent) / 1e6);
        }
        first = false;
        if (tokens != null) {
          tokens.add((now - Long.parseLong(content)) / 1e6);
        }
      }
    }
  }

  private static double p(List<Double> values, int percentile) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1));
  }

  private static String ms(double v) {
    return String.format("%.2f ms", v);
  }
}
