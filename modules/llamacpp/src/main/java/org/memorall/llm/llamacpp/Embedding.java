package org.memorall.llm.llamacpp;

import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmErrors;

import java.util.ArrayList;
import java.util.List;

/**
 * One embeddings request on a model loaded in embedding mode: each input is counted with the model's tokenizer,
 * checked against what one slot can take, and embedded. llama.cpp runs an embedding only while no generation is
 * running on the model (measured: it waits for them), so these are quick unless chats keep the model busy.
 */
final class Embedding implements LoadedModel.User {

  private final EmbeddingRequest request;
  private final String llmName;
  private volatile ServiceException abort;

  Embedding(EmbeddingRequest request, String llmName) {
    this.request = request;
    this.llmName = llmName;
  }

  /** The model is going away: stop before the next input. An input being embedded finishes (it takes ms). */
  @Override
  public void abort(ServiceException reason) {
    abort = reason;
  }

  /** Embeds every input on {@code model}. Blocking: call on a worker thread. */
  EmbeddingResponse run(LoadedModel model) {
    List<String> inputs = request.getInputs();
    List<float[]> vectors = new ArrayList<>(inputs.size());
    int tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      String text = inputs.get(i);
      int count = model.promptTokens(text);
      String field = inputs.size() == 1 && request.toJson().getValue("input") instanceof String ? "input" : "input[" + i + "]";
      if (count > model.slotContext) {
        throw LlmErrors.of(400, "invalid_request_error", field, "input_too_long", "'" + field + "' has " + count
          + " tokens; LLM '" + llmName + "' embeds at most " + model.slotContext
          + " tokens per input (its context per slot: contextSize / parallel)");
      }
      if (abort != null) {
        throw abort;
      }
      try {
        vectors.add(model.llama.embed(text));
      } catch (RuntimeException e) { // LlamaException (not public): the input is too large, ...
        throw LlmErrors.of(400, "invalid_request_error", field, "embedding_failed",
          "llama.cpp could not embed '" + field + "': " + e.getMessage());
      }
      tokens += count;
    }
    return EmbeddingResponse.of(model.file.id(), vectors, tokens, request.getEncodingFormat());
  }
}
