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
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
  private static final int PARALLEL = 4;

  @TempDir
  Path modelsDir;

  @Test
  void report() throws Exception {
    Path model = modelsDir.resolve("stories260K.gguf");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      Files.copy(in, model, StandardCopyOption.REPLACE_EXISTING);
    }
    StringBuilder report = new StringBuilder();
    report.append(String.format("%n%d tokens per stream, median of %d rounds, threads=1, parallel=%d%n", TOKENS, ROUNDS, PARALLEL));
    double[] direct = direct(model);
    double[] eventBus;
    double[] sse;
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("modelsDir", modelsDir.toString())
        .put("llms", new JsonObject().put("default", new JsonObject().put("type", "llamacpp")
          .put("config", new JsonObject().put("parallel", PARALLEL).put("threads", 1).put("model", model.toString()))));
      Node node = Node.deploy(vertx, new NodeConfig(config)).await(60, TimeUnit.SECONDS);
      eventBus = eventBus(vertx);
      sse = sse(vertx, node.httpPort());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    row(report, "(a) java-llama.cpp direct", direct, direct);
    row(report, "(b) event-bus API", eventBus, direct);
    row(report, "(c) SSE through the gateway", sse, direct);
    System.out.println(report);
    Files.writeString(Path.of("target", "benchmark-throughput.txt"), report.toString());
  }

  private static void row(StringBuilder out, String name, double[] tps, double[] base) {
    out.append(String.format("%-30s 1 stream: %7.0f tok/s (%.2f x a)   4 streams: %7.0f tok/s (%.2f x a)%n",
      name, tps[0], tps[0] / base[0], tps[1], tps[1] / base[1]));
  }

  /** Median tokens/s for 1 and for 4 concurrent streams. */
  private interface Run {
    long tokens(int streams) throws Exception;
  }

  private static double[] measure(Run run) throws Exception {
    run.tokens(1);
    double[] result = new double[2];
    int[] streams = {1, 4};
    for (int s = 0; s < 2; s++) {
      double[] samples = new double[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        long t0 = System.nanoTime();
        long tokens = run.tokens(streams[s]);
        samples[r] = tokens / ((System.nanoTime() - t0) / 1e9);
      }
      Arrays.sort(samples);
      result[s] = samples[ROUNDS / 2];
    }
    return result;
  }

  private static double[] direct(Path model) throws Exception {
    ModelParameters params = new ModelParameters().setModel(model.toString()).setThreads(1).setParallel(PARALLEL)
      .setCtxSize(2048 * PARALLEL).disableLog();
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    try (LlamaModel llama = new LlamaModel(params)) {
      return measure(streams -> {
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
      });
    } finally {
      pool.shutdownNow();
    }
  }

  private static ChatCompletionRequest request() {
    ChatCompletionRequest r = new ChatCompletionRequest().withMessage("user", PROMPT).setMaxTokens(TOKENS).setTemperature(0.0);
    r.toJson().put("ignore_eos", true);
    return r;
  }

  private static double[] eventBus(Vertx vertx) throws Exception {
    LlmClient client = LlmClient.create(vertx);
    return measure(streams -> {
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
    });
  }

  private static double[] sse(Vertx vertx, int port) throws Exception {
    HttpClient http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(8));
    String body = request().toJson().copy().put("stream", true).encode();
    return measure(streams -> {
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
    });
  }
}
