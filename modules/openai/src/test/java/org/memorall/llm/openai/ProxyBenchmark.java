package org.memorall.llm.openai;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memorall.llm.TestNode;
import org.memorall.llm.bench.BenchReport;
import org.memorall.llm.bench.Samples;
import org.memorall.llm.metrics.Metrics;
import org.memorall.llm.node.NodeConfig;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What the gateway adds when it proxies a fast OpenAI-compatible upstream on loopback ({@link FakeUpstream}, which
 * answers at once): latency per request (non-streamed) and per token (a streamed answer of {@value #CHUNKS} chunks),
 * p50 and p99, each request sent alternately to the upstream directly and through the gateway; and the requests/s
 * the gateway sustains with {@value #CLIENTS} concurrent clients. The upstream, the gateway and the client each have
 * their own Vert.x, all in this JVM on the same 2 cores. Writes {@code target/bench/proxy.{md,json}}; asserts
 * nothing about speed. Run with {@code ./bench.sh} or {@code ./mvnw -B test -Dbench=true -Dtest=ProxyBenchmark}.
 */
@Tag("benchmark")
class ProxyBenchmark {

  private static final int BLOCKS = 5;
  private static final int REQUESTS = Integer.getInteger("bench.proxyRequests", 5000) / BLOCKS * BLOCKS;
  private static final int WARMUP_ROUNDS = Integer.getInteger("bench.proxyWarmup", 3000);
  private static final int CHUNKS = 64;
  private static final int CLIENTS = 16;
  private static final long LOAD_MS = Long.getLong("bench.loadMs", 5000);

  private static Context context;

  @Test
  void report() throws Exception {
    Vertx upstreamVertx = Vertx.vertx();
    // As Main builds it: Vert.x's metrics on, the node's event loops (-DLLM_EVENT_LOOPS=n to compare).
    Vertx gatewayVertx = Metrics.vertx(new NodeConfig(new JsonObject()
      .put(NodeConfig.EVENT_LOOPS_ENV, System.getProperty(NodeConfig.EVENT_LOOPS_ENV))).vertxOptions());
    Vertx clientVertx = Vertx.vertx();
    try {
      FakeUpstream upstream = FakeUpstream.start(upstreamVertx).await(30, TimeUnit.SECONDS);
      upstream.behave(byStream(upstream));
      int port = TestNode.start(gatewayVertx, new JsonObject().put("up", new JsonObject().put("type", "lmstudio")
        .put("config", new JsonObject().put("baseURL", upstream.baseUrl())))).await(60, TimeUnit.SECONDS);
      context = clientVertx.getOrCreateContext();
      HttpClient http = clientVertx.createHttpClient(new PoolOptions().setHttp1MaxSize(CLIENTS));
      URI direct = URI.create(upstream.baseUrl() + "/chat/completions");
      URI gateway = URI.create("http://127.0.0.1:" + port + "/v1/chat/completions");

      Samples[] plain = {new Samples(), new Samples()};
      Samples[] streamed = {new Samples(), new Samples()};
      URI[] targets = {direct, gateway};
      // Warm-up: JIT and connections.
      rounds(http, targets, WARMUP_ROUNDS, new Samples[] {new Samples(), new Samples()},
        new Samples[] {new Samples(), new Samples()}).await(5, TimeUnit.MINUTES);
      long[] gcBefore = gcCountAndMs();
      long measuring = System.nanoTime();
      List<Double> addedP99ByBlock = new ArrayList<>();
      for (int b = 0; b < BLOCKS; b++) {
        Samples[] block = {new Samples(), new Samples()};
        rounds(http, targets, REQUESTS / BLOCKS, block, streamed).await(5, TimeUnit.MINUTES);
        addedP99ByBlock.add(added(block, 99));
        plain[0].addAll(block[0]);
        plain[1].addAll(block[1]);
      }
      long measuredMs = (System.nanoTime() - measuring) / 1_000_000;
      long[] gcAfter = gcCountAndMs();
      long gcPauses = gcAfter[0] - gcBefore[0];
      long gcMs = gcAfter[1] - gcBefore[1];
      upstream.received.clear();
      double directRps = load(http, direct);
      double gatewayRps = load(http, gateway);
      upstream.received.clear();

      BenchReport report = new BenchReport("proxy", "Gateway overhead when proxying a fast upstream");
      report.line(String.format("A loopback OpenAI-compatible upstream that answers at once; %d requests of each kind "
        + "sent one at a time, alternately straight to the upstream and through the gateway (LLM type `lmstudio`), "
        + "after %d such rounds of warm-up; each request timed on the client's event loop; the client, the gateway and "
        + "the upstream share the 2 cores.", REQUESTS, WARMUP_ROUNDS));
      report.line("");
      report.line("| request | direct p50 / p99 ms | through gateway p50 / p99 ms | added p50 / p99 ms |");
      report.line("|---|---|---|---|");
      row(report, "non-streamed", plain, 1);
      row(report, "streamed, " + CHUNKS + " chunks", streamed, 1);
      row(report, "streamed, per chunk", streamed, CHUNKS);
      report.line("");
      Samples blockP99 = new Samples();
      addedP99ByBlock.forEach(blockP99::add);
      report.line(String.format("Added p99 per non-streamed request in each block of %d in turn: %s ms (median %.3f): "
        + "a burst of this machine's noise lands in one block.", REQUESTS / BLOCKS, addedP99ByBlock.stream()
        .map(v -> String.format("%.3f", v)).collect(Collectors.joining(" / ")), blockP99.median()));
      report.line("");
      report.line(String.format("While these were measured (%d ms) the JVM that runs all three paused %d times for "
        + "garbage collection, %d ms in all: a pause lands in whichever request is running, and the gateway's are the "
        + "longer ones.", measuredMs, gcPauses, gcMs));
      report.line("");
      report.line(String.format("Requests/s with %d concurrent clients for %d ms (non-streamed): upstream alone %.0f, "
        + "through the gateway %.0f.", CLIENTS, LOAD_MS, directRps, gatewayRps));
      report.json().put("requests", REQUESTS).put("chunks", CHUNKS)
        .put("nonStreamed", json(plain)).put("streamed", json(streamed))
        .put("addedPerRequestMs", new JsonObject().put("p50", added(plain, 50)).put("p99", added(plain, 99))
          .put("p99ByBlock", new JsonArray(addedP99ByBlock)))
        .put("addedPerChunkMs", new JsonObject().put("p50", added(streamed, 50) / CHUNKS)
          .put("p99", added(streamed, 99) / CHUNKS))
        .put("gc", new JsonObject().put("measuredMs", measuredMs).put("pauses", gcPauses).put("pauseMs", gcMs))
        .put("requestsPerSecond", new JsonObject().put("clients", CLIENTS).put("direct", directRps)
          .put("gateway", gatewayRps));
      report.write();
    } finally {
      clientVertx.close().await(30, TimeUnit.SECONDS);
      gatewayVertx.close().await(30, TimeUnit.SECONDS);
      upstreamVertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Collections so far and their total time in ms, over all of this JVM's collectors. */
  private static long[] gcCountAndMs() {
    long count = 0;
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      ms += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {count, ms};
  }

  /** Streams {@value #CHUNKS} chunks when the request asks for a stream, else answers one completion. */
  private static FakeUpstream.Behaviour byStream(FakeUpstream upstream) {
    String[] texts = new String[CHUNKS];
    for (int i = 0; i < CHUNKS; i++) {
      texts[i] = " tok" + i;
    }
    FakeUpstream.Behaviour stream = FakeUpstream.stream(texts);
    FakeUpstream.Behaviour completion = FakeUpstream.completion("Hi there");
    return (req, body) -> {
      upstream.received.clear(); // it records every request; a benchmark sends too many to keep
      (body.toJsonObject().getBoolean("stream", false) ? stream : completion).handle(req, body);
    };
  }

  private static void row(BenchReport report, String label, Samples[] s, int per) {
    report.line(String.format("| %s | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f |", label,
      s[0].percentile(50) / per, s[0].percentile(99) / per, s[1].percentile(50) / per, s[1].percentile(99) / per,
      added(s, 50) / per, added(s, 99) / per));
  }

  private static double added(Samples[] s, double p) {
    return s[1].percentile(p) - s[0].percentile(p);
  }

  private static JsonObject json(Samples[] s) {
    return new JsonObject()
      .put("direct", new JsonObject().put("p50", s[0].percentile(50)).put("p99", s[0].percentile(99)))
      .put("gateway", new JsonObject().put("p50", s[1].percentile(50)).put("p99", s[1].percentile(99)));
  }

  private static String body(boolean stream) {
    return new JsonObject().put("model", "up").put("messages", new JsonArray().add(new JsonObject()
      .put("role", "user").put("content", "Hello"))).put("stream", stream).encode();
  }

  /**
   * {@code rounds} rounds, each a non-streamed and a streamed request to each target, one request at a time, the
   * target that goes first alternating. Runs on the client's event loop, which starts and stops each clock: only
   * the exchange is timed, not a hand-over between the test's thread and the loop.
   */
  private static Future<Void> rounds(HttpClient http, URI[] targets, int rounds, Samples[] plain, Samples[] streamed) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> round(http, targets, 0, rounds, plain, streamed, done));
    return done.future();
  }

  private static void round(HttpClient http, URI[] targets, int round, int rounds, Samples[] plain,
                            Samples[] streamed, Promise<Void> done) {
    if (round == rounds) {
      done.complete();
      return;
    }
    int first = round % 2;
    int second = 1 - first;
    timed(http, targets[first], false, plain[first])
      .compose(v -> timed(http, targets[first], true, streamed[first]))
      .compose(v -> timed(http, targets[second], false, plain[second]))
      .compose(v -> timed(http, targets[second], true, streamed[second]))
      .onSuccess(v -> round(http, targets, round + 1, rounds, plain, streamed, done))
      .onFailure(done::fail);
  }

  /** One request; adds the ms from sending it to the end of its response to {@code samples}. */
  private static Future<Void> timed(HttpClient http, URI target, boolean stream, Samples samples) {
    long t0 = System.nanoTime();
    return exchange(http, target, stream).compose(body -> {
      samples.add((System.nanoTime() - t0) / 1e6);
      if (stream ? !body.toString().endsWith("data: [DONE]\n\n") : !body.toString().contains("Hi there")) {
        return Future.failedFuture("unexpected answer from " + target + ": " + body);
      }
      return Future.succeededFuture();
    });
  }

  /** Sends on the client's event loop, where the response's handlers are set before its body can arrive. */
  private static Future<Buffer> send(HttpClient http, URI target, boolean stream) {
    Promise<Buffer> result = Promise.promise();
    context.runOnContext(v -> exchange(http, target, stream).onComplete(result));
    return result.future();
  }

  private static Future<Buffer> exchange(HttpClient http, URI target, boolean stream) {
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(target.getHost())
        .setPort(target.getPort()).setURI(target.getPath()).putHeader("content-type", "application/json"))
      .compose(req -> req.send(Buffer.buffer(body(stream))))
      .compose(resp -> {
        if (resp.statusCode() != 200) {
          return resp.body().compose(b -> Future.failedFuture("HTTP " + resp.statusCode() + ": " + b));
        }
        return resp.body();
      });
  }

  /** {@value #CLIENTS} clients sending back to back for {@link #LOAD_MS}; returns completed requests/s. */
  private static double load(HttpClient http, URI target) throws Exception {
    AtomicLong completed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<Void>> clients = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int c = 0; c < CLIENTS; c++) {
      Promise<Void> done = Promise.promise();
      clients.add(done.future());
      loop(http, target, completed, stop, done);
    }
    Thread.sleep(LOAD_MS);
    stop.set(true);
    Future.all(clients).await(30, TimeUnit.SECONDS);
    return completed.get() / ((System.nanoTime() - t0) / 1e9);
  }

  private static void loop(HttpClient http, URI target, AtomicLong completed, AtomicBoolean stop, Promise<Void> done) {
    if (stop.get()) {
      done.tryComplete();
      return;
    }
    send(http, target, false).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      completed.incrementAndGet();
      loop(http, target, completed, stop, done);
    });
  }
}
