package org.memorall.llm.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time in queue and throughput of one LLM with 2 slots under 2×, 4× and 10× overload: 4, 8 and 20 clients, each
 * sending streaming requests through the gateway back to back for a fixed time. Time in queue of a request is its
 * time to the response head (sent with the first chunk, once a slot runs it) minus the median time to the response
 * head of the same request on the idle LLM. A last run has a queue of 4, so that clients are refused (429) and
 * come back after 100 ms. A benchmark, not a test: it asserts nothing about speed. Run it with
 * {@code ./mvnw test -Dtest=QueueBenchmark -Dbench=true}; writes {@code target/benchmark-queue.txt}.
 */
@Tag("benchmark")
class QueueBenchmark {

  private static final int SLOTS = 2;
  private static final int TOKENS = Integer.getInteger("bench.tokens", 128);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 10);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

  @TempDir
  Path modelsDir;

  /** What one run measured. */
  private static final class Run {
    final List<Double> queueMs = Collections.synchronizedList(new ArrayList<>());
    /** The registry's own measure, from the X-LLM-Queue-Wait-Ms header. */
    final List<Double> measuredMs = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong completed = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong tokens = new AtomicLong();
    final List<Integer> queuedSamples = Collections.synchronizedList(new ArrayList<>());
    double seconds;
  }

  @Test
  void report() throws Exception {
    Vertx server = Vertx.vertx();
    Vertx clients = Vertx.vertx();
    try {
      JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("modelsDir", modelsDir.toString())
        .put("llms", new JsonObject()
          .put("big-queue", llm(1000))
          .put("small-queue", llm(4)));
      int port = Node.deploy(server, new NodeConfig(config)).await(60, TimeUnit.SECONDS).httpPort();
      HttpClient http = clients.createHttpClient(new PoolOptions().setHttp1MaxSize(64));
      String body = new JsonObject()
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
        .put("max_tokens", TOKENS).put("temperature", 0).put("ignore_eos", true).put("stream", true).encode();

      // Warm up, then the time to the response head of one request alone.
      for (int i = 0; i < 5; i++) {
        one(http, port, "big-queue", body, null, System.nanoTime()).await(60, TimeUnit.SECONDS);
      }
      List<Double> idle = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        long t0 = System.nanoTime();
        long head = one(http, port, "big-queue", body, null, t0).await(60, TimeUnit.SECONDS);
        idle.add((head - t0) / 1e6);
      }
      double baseline = percentile(idle, 50);

      StringBuilder report = new StringBuilder(String.format(
        "%nQueue benchmark: LLM with parallel %d (bundled stories260K, threads 1), streaming requests of %d tokens "
          + "(ignore_eos) through the gateway, clients sending back to back for %d s; median of %d rounds"
          + " (completions/s: median [min-max]).%n"
          + "Time in queue = time to response head - %.1f ms (median time to response head on the idle LLM).%n%n"
          + "%-34s %9s %9s %12s %12s %17s %9s %6s %6s %6s%n", SLOTS, TOKENS, SECONDS, ROUNDS, baseline,
        "load", "queue p50", "queue p99", "measured p50", "measured p99", "completions/s", "tokens/s", "429/s", "errors", "queued"));
      Object[][] runs = {{4, "big-queue", "2x (4 clients), maxQueue 1000"}, {8, "big-queue", "4x (8 clients), maxQueue 1000"},
        {20, "big-queue", "10x (20 clients), maxQueue 1000"}, {20, "small-queue", "10x (20 clients), maxQueue 4"}};
      // rows[run][round] = {queue p50, queue p99, measured p50, measured p99, completions/s, tokens/s, 429/s, queued,
      // errors};
      // the loads take turns in every round, so that drift (other work on the machine) hits them all alike.
      double[][][] rows = new double[runs.length][ROUNDS][];
      for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < runs.length; k++) {
          Run run = load(clients, http, port, (String) runs[k][1], body, (Integer) runs[k][0], baseline);
          rows[k][r] = new double[]{percentile(run.queueMs, 50), percentile(run.queueMs, 99),
            percentile(run.measuredMs, 50), percentile(run.measuredMs, 99), run.completed.get() / run.seconds,
            run.tokens.get() / run.seconds, run.refused.get() / run.seconds,
            run.queuedSamples.stream().mapToInt(Integer::intValue).average().orElse(0), run.failed.get()};
        }
      }
      for (int k = 0; k < runs.length; k++) {
        double[] m = new double[9];
        for (int i = 0; i < m.length; i++) {
          int col = i;
          m[i] = median(Arrays.stream(rows[k]).mapToDouble(row -> row[col]).toArray());
        }
        double[] completions = Arrays.stream(rows[k]).mapToDouble(row -> row[4]).sorted().toArray();
        report.append(String.format("%-34s %6.0f ms %6.0f ms %9.0f ms %9.0f ms %5.1f [%4.1f-%4.1f] %9.0f %6.0f %6.0f %6.1f%n",
          runs[k][2], m[0], m[1], m[2], m[3], m[4], completions[0], completions[completions.length - 1], m[5], m[6],
          m[8], m[7]));
      }
      report.append(String.format("%n(queue: client side, as above; measured: the registry's time from arrival in the queue"
        + " to the slot, header X-LLM-Queue-Wait-Ms; queued: mean queue depth sampled every 100 ms from GET /llms/{name})%n"));
      System.out.println(report);
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "benchmark-queue.txt"), report.toString());
    } finally {
      clients.close().await(30, TimeUnit.SECONDS);
      server.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static JsonObject llm(int maxQueue) {
    return new JsonObject().put("type", "llamacpp").put("config", new JsonObject().put("parallel", SLOTS)
      .put("threads", 1).put("maxQueue", maxQueue).put("queueTimeoutMs", 600_000));
  }

  /** {@code clients} clients sending back to back for {@link #SECONDS}; waits for the last requests to end. */
  private static Run load(Vertx vertx, HttpClient http, int port, String llm, String body, int clients, double baseline)
    throws Exception {
    Run run = new Run();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(SECONDS);
    long sampler = vertx.setPeriodic(100, id -> http.request(HttpMethod.GET, port, "127.0.0.1", "/llms/" + llm)
      .compose(req -> req.send().compose(HttpClientResponse::body))
      .onSuccess(b -> run.queuedSamples.add(new JsonObject(b).getInteger("queued", 0))));
    List<Future<Void>> done = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Promise<Void> finished = Promise.promise();
      done.add(finished.future());
      vertx.runOnContext(v -> loop(vertx, http, port, llm, body, run, end, baseline, finished));
    }
    Future.all(done).await(SECONDS + 120, TimeUnit.SECONDS);
    run.seconds = (System.nanoTime() - start) / 1e9;
    vertx.cancelTimer(sampler);
    return run;
  }

  private static void loop(Vertx vertx, HttpClient http, int port, String llm, String body, Run run, long end,
                           double baseline, Promise<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.complete();
      return;
    }
    long t0 = System.nanoTime();
    one(http, port, llm, body, run, t0).onComplete(ar -> {
      if (ar.succeeded() && ar.result() > 0) {
        run.queueMs.add(Math.max(0, (ar.result() - t0) / 1e6 - baseline));
        loop(vertx, http, port, llm, body, run, end, baseline, finished);
      } else {
        // Refused (429) or failed: come back a little later.
        vertx.setTimer(100, id -> loop(vertx, http, port, llm, body, run, end, baseline, finished));
      }
    });
  }

  /**
   * One streaming request; completes, once the stream ended, with the time its response head arrived, or -1 when
   * it was refused or failed.
   */
  private static Future<Long> one(HttpClient http, int port, String llm, String body, Run run, long t0) {
    Promise<Long> result = Promise.promise();
    http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/llms/" + llm + "/v1/chat/completions").putHeader("content-type", "application/json"))
      .compose(req -> req.send(Buffer.buffer(body)))
      .onSuccess(resp -> {
        long head = System.nanoTime();
        String waited = resp.getHeader("X-LLM-Queue-Wait-Ms");
        if (run != null && waited != null) {
          run.measuredMs.add(Double.parseDouble(waited));
        }
        if (resp.statusCode() != 200) {
          if (run != null) {
            (resp.statusCode() == 429 ? run.refused : run.failed).incrementAndGet();
          }
          resp.body().onComplete(b -> result.complete(-1L));
          return;
        }
        resp.body().onComplete(b -> {
          String text = b.succeeded() ? b.result().toString() : "";
          if (run != null) {
            if (text.endsWith("data: [DONE]\n\n")) {
              run.completed.incrementAndGet();
              run.tokens.addAndGet(countTokens(text));
            } else {
              run.failed.incrementAndGet();
            }
          }
          result.complete(head);
        });
      })
      .onFailure(e -> {
        if (run != null) {
          run.failed.incrementAndGet();
        }
        result.complete(-1L);
      });
    return result.future();
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static long countTokens(String sse) {
    long n = 0;
    for (int at = sse.indexOf("\"content\":\""); at >= 0; at = sse.indexOf("\"content\":\"", at + 1)) {
      if (sse.charAt(at + 11) != '"') {
        n++;
      }
    }
    return n;
  }

  private static double percentile(List<Double> values, double p) {
    List<Double> sorted;
    synchronized (values) {
      sorted = new ArrayList<>(values);
    }
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
