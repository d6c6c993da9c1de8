package org.memorall.llm.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;

/**
 * The contract every provider module implements. The runtime hosts each instance in its own provider verticle
 * and calls these methods on that verticle's event loop, one LLM per instance: blocking work (loading a model,
 * generating tokens) must go to worker threads.
 * <p>
 * The registry queues chat completions so that at most {@link #slots()} run at once on one provider.
 */
public interface LlmProvider {

  /** Initialises the provider (loads its model, checks its settings). The LLM is ready when this succeeds. */
  Future<Void> start(ProviderContext context);

  /** Frees everything: cancels generations in flight, unloads models. */
  Future<Void> stop();

  /** How many chat completions may run at once. */
  int slots();

  /**
   * The provider's state for {@link LlmInfo}: at least {@code status} (loading, ready, failed, unloaded) and
   * {@code model} when one is loaded. Never secrets.
   */
  JsonObject status();

  /** Answers one validated request through {@code sink}; see {@link CompletionSink} for the contract. */
  void chatCompletions(ChatCompletionRequest request, CompletionSink sink);

  /**
   * The embeddings of a validated request. By default a 400 (param {@code model}, code
   * {@code embeddings_not_supported}): asking an LLM that cannot embed is a wrong choice of model by the client,
   * which no retry or other server fixes, so not a 5xx. The runtime names the LLM and its type in the message.
   */
  default Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    return Future.failedFuture(LlmErrors.embeddingsNotSupported(null));
  }

  /** Loads a model, reporting progress; resolves with the loaded model. */
  Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress);

  Future<ModelList> models();

  /** Frees the model's memory and keeps its file. */
  Future<Void> unload(String modelId);

  /** Removes the model's file (unloading it first). */
  Future<Void> delete(String modelId);
}
