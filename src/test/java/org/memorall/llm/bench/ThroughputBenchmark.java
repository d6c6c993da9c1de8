package org.memorall.llm.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tokens/s with the bundled model and greedy decoding, for (a) java-llama.cpp called directly, (b) the event-bus
 * API, (c) SSE through the gateway; 1 stream and 4 concurrent streams. A benchmark, not a test: it reports
 * numbers and asserts nothing about speed. Run it with
 * {@code ./mvnw test -Dtest=ThroughputBenchmark -Dbench=true}.
 */
@Tag("benchmark")
class ThroughputBenchmark {

  private static final String PROMPT = "Once upon a time";
  private static final int TOKENS = Integer.getInteger("bench.tokens", 256);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 9);
  private static final int PARALLEL = 4;
  private static final java.util.Map<Vertx, HttpClient> SSE_CLIENTS = new java.util.concurrent.ConcurrentHashMap<>();

  @TempDir
  Path modelsDir;

  @Test
  void report() throws Exception {
    Path model = modelsDir.resolve("stories260K.gguf");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      Files.copy(in, model, StandardCopyOption.REPLACE_EXISTING);
    }
    Vertx vertx = Vertx.vertx();
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    ModelParameters params = new ModelParameters().setModel(model.toString()).setThreads(1).setParallel(PARALLEL)
      .setCtxSize(2048 * PARALLEL).disableLog();
    try (LlamaModel llama = new LlamaModel(params)) {
      JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("modelsDir", modelsDir.toString())
        .put("llms", new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
          .put("config", new JsonObject().put("parallel", PARALLEL).put("threads", 1).put("model", model.toString()))));
      Node node = Node.deploy(vertx, new NodeConfig(config)).await(60, TimeUnit.SECONDS);
      Run[] runs = {
        streams -> direct(llama, pool, streams),
        streams -> eventBus(vertx, streams),
        streams -> sse(vertx, node.httpPort(), streams)
      };
      String[] names = {"(a) java-llama.cpp direct", "(b) event-bus API", "(c) SSE through the gateway"};
      int[] concurrency = {1, 4};
      // samples[run][concurrency][round]; the three ways take turns in every round, so drift hits all alike.
      double[][][] samples = new double[runs.length][concurrency.length][ROUNDS];
      for (int warmup = 0; warmup < 2; warmup++) {
        for (Run run : runs) {
          run.tokens(1);
        }
      }
      for (int r = 0; r < ROUNDS; r++) {
        for (int c = 0; c < concurrency.length; c++) {
          for (int k = 0; k < runs.length; k++) {
            long t0 = System.nanoTime();
            long tokens = runs[k].tokens(concurrency[c]);
            samples[k][c][r] = tokens / ((System.nanoTime() - t0) / 1e9);
          }
        }
      }
      StringBuilder report = new StringBuilder(String.format(
        "%n%d tokens per stream (ignore_eos), greedy, threads=1, parallel=%d; median [min-max] of %d rounds%n",
        TOKENS, PARALLEL, ROUNDS));
      for (int k = 0; k < runs.length; k++) {
        report.append(String.format("%-29s", names[k]));
        for (int c = 0; c < concurrency.length; c++) {
          double[] s = samples[k][c].clone();
          Arrays.sort(s);
          double base = median(samples[0][c]);
          report.append(String.format("  %d stream%s: %5.0f tok/s [%4.0f-%4.0f] %.2f x a", concurrency[c],
            concurrency[c] == 1 ? " " : "s", median(s), s[0], s[s.length - 1], median(s) / base));
        }
        report.append(String.format("%n"));
      }
      System.out.println(report);
      Files.writeString(Path.of("target", "benchmark-throughput.txt"), report.toString());
    } finally {
      pool.shutdownNow();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Runs {@code streams} concurrent generations and returns the tokens received. */
  private interface Run {
    long tokens(int streams) throws Exception;
  }

  private static long direct(LlamaModel llama, ExecutorService pool, int streams) throws Exception {
    List<java.util.concurrent.Future<Long>> futures = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      futures.add(pool.submit(() -> {
        InferenceParameters ip = new InferenceParameters(PROMPT).setNPredict(TOKENS).setTemperature(0f).setIgnoreEos(true);
        LlamaIterator it = llama.generate(ip).iterator();
        long n = 0;
        while (it.hasNext()) {
          if (!it.next().text.isEmpty()) {
            n++;
          }
        }
        return n;
      }));
    }
    long total = 0;
    for (java.util.concurrent.Future<Long> f : futures) {
      total += f.get();
    }
    return total;
  }

  private static ChatCompletionRequest request() {
    ChatCompletionRequest r = new ChatCompletionRequest().withMessage("user", PROMPT).setMaxTokens(TOKENS).setTemperature(0.0);
    r.toJson().put("ignore_eos", true);
    return r;
  }

  private static long eventBus(Vertx vertx, int streams) throws Exception {
    LlmClient client = LlmClient.create(vertx);
    {
      AtomicLong tokens = new AtomicLong();
      List<Future<Void>> done = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        Promise<Void> p = Promise.promise();
        done.add(p.future());
        vertx.runOnContext(v -> client.streamChatCompletions("default", request())
          .handler(c -> {
            if (c.getContent() != null && !c.getContent().isEmpty()) {
              tokens.incrementAndGet();
            }
          })
          .exceptionHandler(p::fail)
          .endHandler(x -> p.complete()));
      }
      Future.all(done).await(120, TimeUnit.SECONDS);
      return tokens.get();
    }
  }

  private static long sse(Vertx vertx, int port, int streams) throws Exception {
    HttpClient http = SSE_CLIENTS.computeIfAbsent(vertx, v -> v.createHttpClient(new PoolOptions().setHttp1MaxSize(8)));
    String body = request().toJson().copy().put("stream", true).encode();
    {
      AtomicLong tokens = new AtomicLong();
      List<Future<Void>> done = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        Promise<Void> p = Promise.promise();
        done.add(p.future());
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI("/v1/chat/completions").putHeader("content-type", "application/json"))
          .compose(req -> req.send(Buffer.buffer(body)))
          .onSuccess(resp -> resp.handler(buf -> {
              String s = buf.toString();
              int idx = 0;
              while ((idx = s.indexOf("\"content\":\"", idx)) >= 0) {
                idx += 11;
                if (s.charAt(idx) != '"') {
                  tokens.incrementAndGet();
                }
              }
            }).endHandler(v -> p.complete()).exceptionHandler(p::fail))
          .onFailure(p::fail);
      }
      Future.all(done).await(120, TimeUnit.SECONDS);
      return tokens.get();
    }
  }
}
