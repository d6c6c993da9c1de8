package org.memorall.llm.bench;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Embeddings of the bundled model, one sentence (~14 tokens) per request, one request at a time: (a) java-llama.cpp
 * called directly, (b) the event-bus API, (c) HTTP through the gateway, and (d) one embedding while a 256-token
 * generation runs on the same LLM, or on another one. A benchmark, not a test. Run it with
 * {@code ./mvnw test -Dtest=EmbeddingBenchmark -Dbench=true}; writes {@code target/benchmark-embeddings.txt}.
 */
@Tag("benchmark")
class EmbeddingBenchmark {

  private static final int N = Integer.getInteger("bench.embeddings", 300);
  private static final String[] TEXTS = {
    "The cat sat on the mat by the fire.", "Lily went to the park with her mom.",
    "Tom found a big red ball under the tree.", "The little bird sang a happy song in the morning."};

  @TempDir
  Path modelsDir;

  @Test
  void report() throws Exception {
    Vertx vertx = Vertx.vertx();
    StringBuilder out = new StringBuilder("Embeddings, bundled model, one sentence per request, " + N + " requests\n");
    try {
      JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("modelsDir", modelsDir.toString())
        .put("llms", new JsonObject()
          .put("embed", new JsonObject().put("type", "llamacpp").put("config", new JsonObject().put("parallel", 1).put("embedding", true)))
          .put("shared", new JsonObject().put("type", "llamacpp").put("config", new JsonObject().put("parallel", 2).put("embedding", true))));
      int port = Node.deploy(vertx, new NodeConfig(config)).await(60, TimeUnit.SECONDS).httpPort();
      LlmClient llm = LlmClient.create(vertx);

      try (LlamaModel direct = new LlamaModel(new ModelParameters().setModel(modelsDir.resolve("bundled/stories260K.gguf").toString())
        .setThreads(1).setParallel(1).setCtxSize(2048).setBatchSize(2048).setUbatchSize(2048).enableEmbedding()
        .setPoolingType(PoolingType.LAST).disableLog())) {
        out.append(line("(a) java-llama.cpp direct", time(i -> {
          direct.embed(TEXTS[i % TEXTS.length]);
          return null;
        })));
      }
      out.append(line("(b) event-bus API", time(i -> llm.embeddings("embed", EmbeddingRequest.of(TEXTS[i % TEXTS.length]))
        .await(30, TimeUnit.SECONDS))));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      out.append(line("(c) HTTP through the gateway", time(i -> {
        String body = new JsonObject().put("model", "embed").put("input", TEXTS[i % TEXTS.length]).encode();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/embeddings"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new AssertionError(r.body());
        }
        return null;
      })));
      out.append(String.format("%-44s %s%n", "example answer", http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + port + "/v1/embeddings")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"embed\",\"input\":[\"The cat sat on the mat.\",\"Lily went to the park.\"]}"))
        .build(), HttpResponse.BodyHandlers.ofString()).body()));

      for (String target : new String[] {"shared", "embed"}) {
        List<Double> during = new ArrayList<>();
        List<Double> chat = new ArrayList<>();
        for (int round = 0; round < 7; round++) {
          ChatCompletionRequest story = new ChatCompletionRequest().withMessage("user", "Once upon a time")
            .setMaxTokens(256).setTemperature(0.0);
          story.toJson().put("ignore_eos", true);
          long c0 = System.nanoTime();
          Future<ChatCompletionResponse> generating = llm.chatCompletions("shared", story);
          Thread.sleep(10);
          long t0 = System.nanoTime();
          llm.embeddings(target, EmbeddingRequest.of(TEXTS[0])).await(60, TimeUnit.SECONDS);
          during.add((System.nanoTime() - t0) / 1e6);
          generating.await(60, TimeUnit.SECONDS);
          chat.add((System.nanoTime() - c0) / 1e6);
        }
        out.append(String.format("(d) embed on '%s' while 'shared' generates 256 tokens: median %.1f ms (generation %.1f ms)%n",
          target, median(during), median(chat)));
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.out.print(out);
    Files.writeString(Path.of("target/benchmark-embeddings.txt"), out);
  }

  interface Call {
    Object run(int i) throws Exception;
  }

  /** Per-request milliseconds of N calls, after 30 to warm up. */
  private static List<Double> time(Call call) throws Exception {
    for (int i = 0; i < 30; i++) {
      call.run(i);
    }
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      long t0 = System.nanoTime();
      call.run(i);
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    return ms;
  }

  private static String line(String what, List<Double> ms) {
    List<Double> sorted = new ArrayList<>(ms);
    Collections.sort(sorted);
    double total = ms.stream().mapToDouble(Double::doubleValue).sum();
    return String.format("%-44s median %.2f ms, p90 %.2f ms, %.0f embeddings/s%n", what, median(ms),
      sorted.get((int) (sorted.size() * 0.9)), ms.size() * 1000 / total);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
