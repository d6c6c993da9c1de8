package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import org.memorall.llm.CollectingSink;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.memorall.llm.llamacpp.Harness.await;

/**
 * The numbers behind the README's `threads` default: load time and tokens/s through the provider with the bundled
 * model, greedy, for 1 and 2 compute threads, 1 stream and 2 concurrent streams. Reports, asserts nothing. Run with
 * {@code ./mvnw -B test -Dtest=LlamaCppBenchmark -Dbench=true}; writes target/benchmark-llamacpp.txt.
 */
@Tag("benchmark")
class LlamaCppBenchmark {

  private static final int TOKENS = Integer.getInteger("bench.tokens", 256);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
  /** Total context (-Dbench.contextSize); default: the provider's (2048 per slot). */
  private static final Integer CONTEXT = Integer.getInteger("bench.contextSize");

  @TempDir
  Path modelsDir;

  @Test
  void report() throws Exception {
    assumeTrue(Boolean.getBoolean("bench"), "a benchmark: run with -Dbench=true");
    StringBuilder out = new StringBuilder(String.format("%nllamacpp provider, bundled model, %d tokens per stream, "
      + "median of %d rounds, %d cores, contextSize %s%n", TOKENS, ROUNDS, Runtime.getRuntime().availableProcessors(),
      CONTEXT == null ? "default" : CONTEXT));
    Vertx vertx = Vertx.vertx();
    try {
      for (int threads : new int[]{1, 2}) {
        JsonObject config = new JsonObject().put("threads", threads).put("parallel", 2);
        if (CONTEXT != null) {
          config.put("contextSize", CONTEXT);
        }
        Harness h = new Harness(vertx, modelsDir, config);
        await(h.start());
        long loadMs = h.status().getLong("loadMs");
        double one = median(h, 1);
        double two = median(h, 2);
        await(h.call(h.provider::stop));
        out.append(String.format("threads=%d  load %4d ms   1 stream: %6.0f tok/s   2 streams: %6.0f tok/s%n",
          threads, loadMs, one, two));
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.out.println(out);
    Files.writeString(Path.of("target", "benchmark-llamacpp.txt"), out.toString());
  }

  /**
   * One stream at a time on an LLM of 8 slots, request after request: through the provider (which puts each
   * generation in the lowest free slot, see {@link Slots}) against java-llama.cpp called directly (llama.cpp's own
   * choice, the least recently used slot). Tokens/s of each of 8 requests in a row.
   */
  @Test
  void sequentialStreamsOnManySlots() throws Exception {
    assumeTrue(Boolean.getBoolean("bench"), "a benchmark: run with -Dbench=true");
    int slots = 8;
    int requests = 8;
    StringBuilder out = new StringBuilder(String.format("%nOne stream at a time, %d requests in a row, %d tokens each, "
      + "bundled model, parallel %d, 1 thread (tokens/s of each request)%n", requests, TOKENS, slots));
    Vertx vertx = Vertx.vertx();
    try {
      Harness h = new Harness(vertx, modelsDir, new JsonObject().put("threads", 1).put("parallel", slots));
      await(h.start());
      StringBuilder provider = new StringBuilder("provider (lowest free slot):");
      for (int i = 0; i < requests; i++) {
        long t0 = System.nanoTime();
        long tokens = run(h, 1);
        provider.append(String.format(" %5.0f", tokens / ((System.nanoTime() - t0) / 1e9)));
      }
      await(h.call(h.provider::stop));
      StringBuilder direct = new StringBuilder("direct (llama.cpp's choice):");
      try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(BundledModel.extract(modelsDir).toString())
        .setThreads(1).setParallel(slots).setCtxSize(2048 * slots).disableLog())) {
        for (int i = 0; i < requests; i++) {
          long t0 = System.nanoTime();
          int tokens = 0;
          for (LlamaOutput ignored : llama.generate(new InferenceParameters("Once upon a time").setNPredict(TOKENS)
            .setTemperature(0f).setIgnoreEos(true))) {
            tokens++;
          }
          direct.append(String.format(" %5.0f", (tokens - 1) / ((System.nanoTime() - t0) / 1e9)));
        }
      }
      out.append(provider).append('\n').append(direct).append('\n');
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.out.println(out);
    Files.writeString(Path.of("target", "benchmark-llamacpp-slots.txt"), out.toString());
  }

  /** Median completion tokens per second for {@code streams} concurrent streaming requests. */
  private static double median(Harness h, int streams) throws Exception {
    run(h, streams); // warm-up
    double[] samples = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long t0 = System.nanoTime();
      long tokens = run(h, streams);
      samples[r] = tokens / ((System.nanoTime() - t0) / 1e9);
    }
    Arrays.sort(samples);
    return samples[ROUNDS / 2];
  }

  private static long run(Harness h, int streams) throws Exception {
    List<CollectingSink> sinks = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      ChatCompletionRequest request = Harness.story(TOKENS).setStream(true);
      request.toJson().put("stream_options", new JsonObject().put("include_usage", true));
      sinks.add(h.chat(request));
    }
    long tokens = 0;
    for (CollectingSink s : sinks) {
      await(s.done());
      tokens += s.chunks.get(s.chunks.size() - 1).getUsage().getCompletionTokens();
    }
    return tokens;
  }
}
