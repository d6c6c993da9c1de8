package org.memorall.llm.examples;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.*;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The README's "integration with memory" example, word for word (ReadmeExampleTest runs it and checks the README). */
public class MemoryChatVerticle extends VerticleBase {
  static final List<String> MEMORIES = List.of(
    "Tom the cat sleeps on the warm mat by the fire.",
    "Lily plays with her red ball in the park.",
    "The old tree in the garden has a swing.");
  List<String> context;
  String answer;

  @Override
  public Future<?> start() {
    LlmClient llm = LlmClient.create(vertx);
    LlmService registry = llm.service();
    String query = "Where does the cat sleep?";

    // An LLM in embedding mode (it could chat too); answers come from the default LLM
    return registry.create("embed", "llamacpp", new JsonObject().put("embedding", true).put("parallel", 1))
      // Embed the stored texts (a real app stores each vector with its text) and the query
      .compose(info -> llm.embeddings("embed", EmbeddingRequest.of(MEMORIES.toArray(String[]::new))))
      .compose(stored -> llm.embeddings("embed", EmbeddingRequest.of(query))
        .map(q -> closest(stored, q.vector(0), 2)))
      // Answer with the closest texts as context
      .compose(texts -> {
        context = texts;
        return registry.chatCompletions(new ChatCompletionRequest()
          .withMessage("system", "Use this context:\n" + String.join("\n", texts))
          .withMessage("user", query).setMaxTokens(32));
      })
      .onSuccess(response -> answer = response.getContent());
  }

  /** The {@code k} stored texts most similar to the query (cosine similarity of their embeddings). */
  static List<String> closest(EmbeddingResponse stored, float[] query, int k) {
    return IntStream.range(0, stored.size()).boxed()
      .sorted(Comparator.comparingDouble(i -> -EmbeddingResponse.cosine(stored.vector(i), query)))
      .limit(k).map(MEMORIES::get).collect(Collectors.toList());
  }
}
