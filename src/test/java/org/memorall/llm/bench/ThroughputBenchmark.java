package org.memorall.llm.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.SlotParameter;
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
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.llamacpp.RandomGguf;
import org.memorall.llm.llamacpp.TokenReader;
import org.memorall.llm.metrics.Metrics;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Decode tokens/s and time to first token, SSE through the gateway against java-llama.cpp called directly, for 1,
 * 2, 4 and 8 concurrent streams, with the bundled 260K model (overhead-bound) and a random-weight 35M LLaMA
 * (compute-bound). Greedy, {@code ignore_eos}, the same llama.cpp settings on both paths (1 thread, or
 * {@code -Dbench.threads}; 8 slots, the i-th concurrent stream in slot i: what the provider picks, set on the direct
 * path too). The
 * two paths take turns within every round, so drift and the other loads of the machine hit both alike. Writes
 * {@code target/bench/throughput.{md,json}} and the chart {@code target/bench/throughput.png}. A benchmark: it
 * asserts nothing about speed. Run with {@code ./bench.sh} or
 * {@code ./mvnw -B test -Dbench=true -Dtest=ThroughputBenchmark}.
 */
@Tag("benchmark")
class ThroughputBenchmark {

  private static final String PROMPT = "Once upon a time";
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 9);
  private static final int THREADS = Integer.getInteger("bench.threads", 1);
  private static final int[] CONCURRENCY = {1, 2, 4, 8};
  private static final int PARALLEL = 8;
  private static final boolean DIRECT_READER = Boolean.parseBoolean(System.getProperty("bench.directReader", "true"));
  private static final boolean FLASH_ATTENTION = Boolean.parseBoolean(System.getProperty("bench.flashAttention", "true"));
  private static final int WARMUP_REQUESTS = Integer.getInteger("bench.warmup", 2000);
  private static final int TTFT_SAMPLES = Integer.getInteger("bench.ttftSamples", 100);
  private static final int WARM_PASSES = Integer.getInteger("bench.passes", 2);

  @TempDir
  Path modelsDir;
  private boolean jitWarm;

  /** A model to measure: its file and tokens per stream. */
  private record Model(String label, Path file, int tokens) {
  }

  @Test
  void report() throws Exception {
    Path bundled = modelsDir.resolve("stories260K.gguf");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      Files.copy(in, bundled, StandardCopyOption.REPLACE_EXISTING);
    }
    RandomGguf.Dims dims = RandomGguf.Dims.BENCHMARK;
    Path random = RandomGguf.write(modelsDir.resolve("random.gguf"), dims, 7);
    List<Model> models = new ArrayList<>();
    String which = System.getProperty("bench.models", "small,compute"); // e.g. -Dbench.models=small
    if (which.contains("small")) {
      models.add(new Model("stories260K", bundled, Integer.getInteger("bench.tokens", 256)));
    }
    if (which.contains("compute")) {
      models.add(new Model(String.format("random LLaMA %.0fM F16", dims.parameters(512) / 1e6), random,
        Integer.getInteger("bench.computeTokens", 128)));
    }

    BenchReport report = new BenchReport("throughput", "Decode throughput and time to first token");
    report.line(String.format("Greedy, `ignore_eos`, prompt \"%s\", llama.cpp with %d thread(s) and %d slots on both paths (the i-th "
      + "concurrent stream in slot i on both: the provider's choice, set on the direct path too); "
      + "median [min-max] of %d rounds in which the two paths take turns. Tokens/s is the total over all streams. CPU µs/token: CPU time of the whole JVM "
      + "(engine, node and the benchmark's client) per token; the difference between the paths is what the node costs. "
      + "Paired: gateway ÷ direct within each round (the two runs back to back), median [min-max] over the rounds.",
      PROMPT, THREADS, PARALLEL, ROUNDS));
    report.line("");
    report.line("| model | streams | direct tok/s | gateway SSE tok/s | gateway / direct | paired gateway / direct "
      + "| CPU µs/token direct / gateway |");
    report.line("|---|---|---|---|---|---|---|");
    JsonArray jsonModels = new JsonArray();
    List<String> ttftLines = new ArrayList<>();
    List<String> cpuLines = new ArrayList<>();
    ThroughputChart chart = new ThroughputChart(CONCURRENCY);
    for (Model model : models) {
      Measured m = measure(model);
      JsonArray rows = new JsonArray();
      for (int c = 0; c < CONCURRENCY.length; c++) {
        double ratio = m.gateway[c].median() / m.direct[c].median();
        report.line(String.format("| %s | %d | %s | %s | %.2f | %s | %.0f / %.0f |", model.label, CONCURRENCY[c],
          m.direct[c].spread("%.0f"), m.gateway[c].spread("%.0f"), ratio, m.pairedRatio[c].spread("%.2f"),
          m.directCpu[c].median(), m.gatewayCpu[c].median()));
        rows.add(new JsonObject().put("streams", CONCURRENCY[c]).put("direct", m.direct[c].toJson())
          .put("gateway", m.gateway[c].toJson()).put("ratio", ratio).put("pairedRatio", m.pairedRatio[c].toJson())
          .put("cpuMicrosPerToken", new JsonObject().put("direct", m.directCpu[c].toJson())
            .put("gateway", m.gatewayCpu[c].toJson())
            .put("directByThread", byThread(m.directParts[c])).put("gatewayByThread", byThread(m.gatewayParts[c]))));
        cpuLines.add(String.format("| %s | %d | %s | %s |", model.label, CONCURRENCY[c], parts(m.directParts[c]),
          parts(m.gatewayParts[c])));
      }
      ttftLines.add(String.format("| %s | %.2f / %.2f | %.2f / %.2f | %+.2f / %+.2f |", model.label,
        m.directTtft.median(), m.directTtft.percentile(90), m.gatewayTtft.median(), m.gatewayTtft.percentile(90),
        m.gatewayTtft.median() - m.directTtft.median(), m.gatewayTtft.percentile(90) - m.directTtft.percentile(90)));
      jsonModels.add(new JsonObject().put("model", model.label).put("tokensPerStream", model.tokens)
        .put("throughput", rows).put("ttftMs", new JsonObject().put("direct", m.directTtft.toJson())
          .put("gateway", m.gatewayTtft.toJson())));
      chart.add(model.label, m.direct, m.gateway);
    }
    report.line("");
    report.line(String.format("Time to first token, one stream alone, after %d warm-up requests on each path with the "
      + "first model (the JIT stays warm for the next; ms from sending the request to the first token's text; %d "
      + "requests per path, alternately):", WARMUP_REQUESTS, TTFT_SAMPLES));
    report.line("");
    report.line("| model | direct ms p50 / p90 | gateway SSE ms p50 / p90 | added ms p50 / p90 |");
    report.line("|---|---|---|---|");
    ttftLines.forEach(report::line);
    report.line("");
    if (ThreadCpu.available()) {
      report.line("Where the CPU goes: µs per token by thread, median over the rounds, from Linux's per-thread scheduler "
        + "counters. Engine: llama.cpp's server thread, which with 1 compute thread also computes; reader: the "
        + "`TokenReader`; event loop: the node's (HTTP, event bus, SSE writes, which on loopback also deliver to the "
        + "client); client: the benchmark's HTTP client; rest: GC, JIT and other JVM threads, the "
        + "threads that read each stream's first token (the provider's generation workers, the direct path's stream "
        + "threads). A reader busy far beyond its share is waiting busily in java-llama.cpp's receive (README \"The "
        + "engine's limit\"):");
      report.line("");
      report.line("| model | streams | direct: " + String.join(" / ", ThreadCpu.PARTS) + " | gateway: "
        + String.join(" / ", ThreadCpu.PARTS) + " |");
      report.line("|---|---|---|---|");
      cpuLines.forEach(report::line);
    }
    report.line("");
    report.line("![tokens/s against concurrency](throughput.png)");
    report.json().put("rounds", ROUNDS).put("parallel", PARALLEL).put("models", jsonModels);
    report.write();
    chart.write(BenchReport.DIR.resolve("throughput.png"));
  }

  private static String parts(Samples[] parts) {
    List<String> medians = new ArrayList<>();
    for (Samples p : parts) {
      medians.add(String.format("%.0f", p.median()));
    }
    return String.join(" / ", medians);
  }

  private static JsonObject byThread(Samples[] parts) {
    JsonObject json = new JsonObject();
    for (int i = 0; i < parts.length; i++) {
      json.put(ThreadCpu.PARTS[i], parts[i].toJson());
    }
    return json;
  }

  /** The samples of one model: per concurrency, tokens/s and CPU µs per token of each path; time to first token. */
  private static final class Measured {
    final Samples[] direct = samples();
    final Samples[] gateway = samples();
    final Samples[] directCpu = samples();
    final Samples[] gatewayCpu = samples();
    /** Per concurrency and {@link ThreadCpu#PARTS part}: CPU µs per token of that part. */
    final Samples[][] directParts = parts();
    final Samples[][] gatewayParts = parts();
    /** Gateway ÷ direct of each round, the two taken back to back: drift between rounds cancels out. */
    final Samples[] pairedRatio = samples();
    final Samples directTtft = new Samples();
    final Samples gatewayTtft = new Samples();

    private static Samples[][] parts() {
      Samples[][] p = new Samples[CONCURRENCY.length][];
      for (int c = 0; c < p.length; c++) {
        p[c] = new Samples[ThreadCpu.PARTS.length];
        for (int i = 0; i < p[c].length; i++) {
          p[c][i] = new Samples();
        }
      }
      return p;
    }

    private static Samples[] samples() {
      Samples[] s = new Samples[CONCURRENCY.length];
      for (int c = 0; c < s.length; c++) {
        s[c] = new Samples();
      }
      return s;
    }
  }

  private Measured measure(Model model) throws Exception {
    Measured m = new Measured();
    // As Main builds it: Vert.x's metrics on, the node's event loops (-DLLM_EVENT_LOOPS=n to compare).
    Vertx server = Metrics.vertx(new NodeConfig(new JsonObject()
      .put(NodeConfig.EVENT_LOOPS_ENV, System.getProperty(NodeConfig.EVENT_LOOPS_ENV))).vertxOptions());
    Vertx client = Vertx.vertx(); // the benchmark's HTTP client stands for another process: own event loops
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    ModelParameters params = new ModelParameters().setModel(model.file.toString()).setThreads(THREADS)
      .setParallel(PARALLEL).setCtxSize(2048 * PARALLEL).disableLog();
    if (FLASH_ATTENTION) {
      params.enableFlashAttn();
    }
    try (LlamaModel llama = loadOnOwnThread(params)) {
      TokenReader reader = DIRECT_READER ? new TokenReader("direct") : null;
      JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("modelsDir", modelsDir.toString())
        .put("llms", new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
          .put("config", new JsonObject().put("parallel", PARALLEL).put("threads", THREADS)
            .put("flashAttention", FLASH_ATTENTION)
            .put("model", model.file.toString()))));
      Node node = Node.deploy(server, new NodeConfig(config)).await(120, TimeUnit.SECONDS);
      Context context = client.getOrCreateContext();
      // Named so that the CPU table tells the client's event loop from the node's.
      context.runOnContext(v -> Thread.currentThread().setName(ThreadCpu.CLIENT));
      HttpClient http = client.createHttpClient(new PoolOptions().setHttp1MaxSize(PARALLEL));
      // Warm-up: the JIT compiles the per-request code of the gateway only after a few thousand requests (before,
      // a request costs milliseconds more); the compiled code stays for the next model (same JVM).
      for (int i = 0; i < WARMUP_REQUESTS && !jitWarm; i++) {
        sse(context, http, node.httpPort(), 1, 1, null);
        // The same request on the direct path: the two engines' KV caches go through the same history (which cells
        // are taken decides how many each step attends over; with the gateway's engine alone warmed up, its 8-stream
        // rounds cost 9 % more engine CPU per token in one measurement, about equal with both).
        direct(llama, reader, pool, 1, 1, null);
      }
      jitWarm = true;
      // Untimed passes over every concurrency on both paths: the code of each shape is compiled before it is timed
      // (without them, the JIT compiled ~770 methods and deoptimized ~320 during 10 s of timed rounds: C2 took 12-18 % of
      // the CPU; after one pass, C2 still took 145-167 µs per token in the first round's 8-stream runs, on the core
      // the node and the reader share).
      for (int pass = 0; pass < WARM_PASSES; pass++) {
        for (int streams : CONCURRENCY) {
          direct(llama, reader, pool, streams, model.tokens, null);
          sse(context, http, node.httpPort(), streams, model.tokens, null);
        }
      }
      // Time to first token: one short request at a time, the two paths alternately.
      for (int i = 0; i < TTFT_SAMPLES; i++) {
        for (int turn = 0; turn < 2; turn++) {
          if ((turn + i) % 2 == 0) {
            direct(llama, reader, pool, 1, 2, m.directTtft);
          } else {
            sse(context, http, node.httpPort(), 1, 2, m.gatewayTtft);
          }
        }
      }
      BenchProfiler.start();
      try {
        for (int r = 0; r < ROUNDS; r++) {
          for (int c = 0; c < CONCURRENCY.length; c++) {
            int streams = CONCURRENCY[c];
            double[] tokensPerSecond = new double[2]; // direct, gateway
            for (int turn = 0; turn < 2; turn++) {
              boolean directTurn = (turn + r) % 2 == 0; // alternate which path goes first
              ThreadCpu cpu0 = ThreadCpu.now();
              long t0 = System.nanoTime();
              long outputs = directTurn
                ? direct(llama, reader, pool, streams, model.tokens, null)
                : sse(context, http, node.httpPort(), streams, model.tokens, null);
              double seconds = (System.nanoTime() - t0) / 1e9;
              // ignore_eos: every stream decodes exactly its max_tokens. The outputs can be fewer (llama.cpp joins
              // the byte tokens of one UTF-8 character into one output), never zero.
              if (outputs < streams) {
                throw new AssertionError("expected " + streams * model.tokens + " tokens, got " + outputs + " outputs");
              }
              tokensPerSecond[directTurn ? 0 : 1] = (double) streams * model.tokens / seconds;
              (directTurn ? m.direct : m.gateway)[c].add(tokensPerSecond[directTurn ? 0 : 1]);
              double[] parts = cpu0.microsPerTokenSince((long) streams * model.tokens);
              double total = 0;
              for (int i = 0; i < parts.length; i++) {
                (directTurn ? m.directParts : m.gatewayParts)[c][i].add(parts[i]);
                total += parts[i];
              }
              (directTurn ? m.directCpu : m.gatewayCpu)[c].add(total);
            }
            m.pairedRatio[c].add(tokensPerSecond[1] / tokensPerSecond[0]);
          }
        }
      } finally {
        BenchProfiler.stop(model.label.replaceAll("[^A-Za-z0-9]+", "-"));
        if (reader != null) {
          reader.close(); // (no generation runs now)
        }
      }
    } finally {
      pool.shutdownNow();
      client.close().await(30, TimeUnit.SECONDS);
      server.close().await(30, TimeUnit.SECONDS);
    }
    return m;
  }

  /**
   * As the provider loads (its LlamaLoader): on a thread that then ends, else with 2 or more threads llama.cpp's
   * OpenMP barriers sleep at every op (README "The engine's limit").
   */
  private static LlamaModel loadOnOwnThread(ModelParameters params) throws Exception {
    FutureTask<LlamaModel> load = new FutureTask<>(() -> new LlamaModel(params));
    Thread loader = new Thread(load, "bench-load");
    loader.start();
    loader.join();
    return load.get();
  }

  /** {@code streams} concurrent generations with java-llama.cpp; returns the tokens generated. */
  private static long direct(LlamaModel llama, TokenReader reader, ExecutorService pool, int streams, int tokens, Samples ttft)
    throws Exception {
    List<java.util.concurrent.Future<Long>> futures = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      int slot = i;
      futures.add(pool.submit(() -> {
        long t0 = System.nanoTime();
        // The slot the provider picks for the same requests (its Slots: the i-th of concurrent equal prompts gets
        // slot i), so that both paths run the same engine schedule over the same cache cells.
        InferenceParameters ip = SlotParameter.set(new InferenceParameters(PROMPT).setNPredict(tokens)
          .setTemperature(0f).setIgnoreEos(true), slot);
        LlamaIterator it = llama.generate(ip).iterator();
        long[] n = {0};
        boolean[] first = {true};
        TokenReader.Follower follower = new TokenReader.Follower() {
          @Override
          public boolean stopping() {
            return false;
          }

          @Override
          public boolean output(LlamaOutput out, boolean last) {
            if (first[0] && !out.text.isEmpty() && ttft != null) {
              ttft.add((System.nanoTime() - t0) / 1e6);
              first[0] = false;
            }
            if (!last) {
              n[0]++; // the last output only marks the end
            }
            return n[0] >= tokens;
          }

          @Override
          public void flush() {
          }
        };
        // As the provider reads tokens: the first here, the others through the model's TokenReader;
        // -Dbench.directReader=false: all here, as java-llama.cpp alone.
        boolean started = false;
        while (it.hasNext()) {
          if (started && reader != null) {
            reader.follow(it, slot, follower);
            break;
          }
          LlamaOutput out = reader != null ? reader.first(it) : it.next();
          follower.output(out, !it.hasNext());
          started = true;
        }
        return n[0];
      }));
    }
    long total = 0;
    for (java.util.concurrent.Future<Long> f : futures) {
      total += f.get();
    }
    return total;
  }

  /** {@code streams} concurrent SSE requests to the gateway; returns the completion tokens of their usage. */
  private static long sse(Context context, HttpClient http, int port, int streams, int tokens, Samples ttft) throws Exception {
    String body = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
        .put("content", PROMPT))).put("max_tokens", tokens).put("temperature", 0).put("ignore_eos", true)
      .put("stream", true).put("stream_options", new JsonObject().put("include_usage", true)).encode();
    List<Future<Long>> done = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      Promise<Long> p = Promise.promise();
      done.add(p.future());
      long[] t0 = new long[1];
      Buffer received = Buffer.buffer();
      boolean[] first = {true};
      // On the client's event loop, so that the response's handlers are set before its body can arrive; the clock
      // starts there too (the direct path's starts on its own thread, so neither counts a hand-over to its thread).
      context.runOnContext(v -> {
        t0[0] = System.nanoTime();
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI("/v1/chat/completions").putHeader("content-type", "application/json"))
          .compose(req -> req.send(Buffer.buffer(body)))
          .onSuccess(resp -> resp.handler(buf -> {
            received.appendBuffer(buf);
            if (first[0] && ttft != null && buf.toString().contains("\"delta\":{\"content\":\"")) {
              ttft.add((System.nanoTime() - t0[0]) / 1e6);
              first[0] = false;
            }
          }).endHandler(x -> p.complete(usageTokens(received.toString()))).exceptionHandler(p::fail))
          .onFailure(p::fail);
      });
    }
    long total = 0;
    for (Future<Long> f : done) {
      total += f.await(300, TimeUnit.SECONDS);
    }
    return total;
  }

  /** completion_tokens of the usage event of an SSE body. */
  private static long usageTokens(String sse) {
    String key = "\"completion_tokens\":";
    int at = sse.lastIndexOf(key);
    if (at < 0) {
      throw new AssertionError("no usage in the stream: " + sse.substring(Math.max(0, sse.length() - 300)));
    }
    int end = at + key.length();
    while (Character.isDigit(sse.charAt(end))) {
      end++;
    }
    return Long.parseLong(sse.substring(at + key.length(), end));
  }
}
