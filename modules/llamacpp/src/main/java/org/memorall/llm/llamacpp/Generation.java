package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.SlotParameter;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.Usage;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * One chat completion: builds the prompt, starts llama.cpp's task on a worker thread, reads its first output there
 * and the others through the model's {@link TokenReader} (the worker waits meanwhile), and writes the answer to the
 * sink. A cancel only raises a flag: the thread reading the outputs stops the llama.cpp task, because
 * {@code LlamaIterator.cancel()} called from another thread leaves the reader waiting forever (measured).
 */
final class Generation implements LoadedModel.User, TokenReader.Follower {

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");

  private final ChatCompletionRequest request;
  private final boolean stream;
  private final CompletionSink sink;
  private final LlamaCppConfig config;
  private final String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
  private final long created = System.currentTimeMillis() / 1000;
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile boolean cancelled;
  private volatile ServiceException abort;
  /** The provider's count of all tokens generated, shown in its status. */
  private final AtomicLong tokensGenerated;
  // The answer so far: written by the thread that reads the outputs (this one, then the model's TokenReader).
  private String modelId;
  private final StringBuilder text = new StringBuilder();
  /** Streamed text not yet sent: outputs read together leave in one chunk. */
  private final StringBuilder unsent = new StringBuilder();
  private int completionTokens;
  private int limit;

  Generation(ChatCompletionRequest request, CompletionSink sink, LlamaCppConfig config, AtomicLong tokensGenerated) {
    this.request = request;
    this.stream = request.isStream();
    this.sink = sink;
    this.config = config;
    this.tokensGenerated = tokensGenerated;
  }

  /** The consumer went away: stop at the next token. */
  void cancel() {
    cancelled = true;
  }

  /** The model is going away: stop at the next token and fail the request with {@code reason}. */
  @Override
  public void abort(ServiceException reason) {
    abort = reason;
  }

  @Override
  public boolean stopping() {
    return cancelled || abort != null || sink.isCancelled();
  }

  /** Fails the request unless it already ended. */
  void fail(Throwable error) {
    if (done.compareAndSet(false, true)) {
      sink.fail(error);
    }
  }

  /** Runs the whole completion on {@code model}. Blocking: call on a worker thread. Never throws. */
  void run(LoadedModel model) {
    try {
      if (stopping()) {
        failStopped();
        return;
      }
      String grammar = ResponseFormat.grammar(request.toJson()); // a 400 here comes before any token
      String prompt = model.templated ? PromptBuilder.templated(model.llama, request.getMessages())
        : PromptBuilder.plain(request.getMessages());
      int promptTokens = model.promptTokens(prompt);
      int room = model.slotContext - promptTokens;
      if (room < 1) {
        fail(LlmErrors.invalidField("messages", "The prompt is " + promptTokens + " tokens but a slot of this LLM holds "
          + model.slotContext + " tokens (contextSize " + model.contextSize + " / parallel " + config.parallel
          + "); shorten the messages or raise 'contextSize'"));
        return;
      }
      // OpenAI rejects prompt + max_tokens beyond the context; clients often ask for more than a small local
      // context holds, so the limit is clamped to what fits instead (finish_reason "length" when reached).
      Integer asked = request.getMaxTokens();
      limit = Math.min(asked != null ? asked : config.maxTokens, room);
      generate(model, prompt, promptTokens, grammar);
    } catch (ServiceException e) {
      fail(e);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "Generation " + id + " failed", e);
      fail(LlmErrors.internal("llama.cpp failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
    }
  }

  private void generate(LoadedModel model, String prompt, int promptTokens, String grammar) {
    long t0 = System.nanoTime();
    int slot = model.slots.acquire(prompt);
    boolean ended;
    try {
      ended = generate(model, slot, prompt, grammar);
    } finally {
      model.slots.release(slot);
    }
    // Only now: a client that sends its next request when this one ends finds the slot free (and its cache there).
    if (ended) {
      end(promptTokens, t0);
    }
  }

  /** Runs the llama.cpp task to its end (true) or until stopped (false: the request failed). */
  private boolean generate(LoadedModel model, int slot, String prompt, String grammar) {
    modelId = model.file.id();
    InferenceParameters parameters = parameters(prompt, limit, grammar);
    LlamaIterator tokens = model.llama.generate(slot < 0 ? parameters : SlotParameter.set(parameters, slot)).iterator();
    if (stream) {
      sink.chunk(ChatCompletionChunk.delta(id, created, modelId, "assistant", "", null));
    }
    if (stopping()) {
      tokens.cancel(); // frees the slot; must be the reading thread (see the class comment)
      failStopped();
      return false;
    }
    // The first output comes when the prompt is processed, read here; the others, one per decode step, through the
    // model's TokenReader.
    output(model.tokenReader.first(tokens), !tokens.hasNext());
    flush();
    if (tokens.hasNext() && model.tokenReader.follow(tokens, slot, this) == TokenReader.End.STOPPED) {
      failStopped();
      return false;
    }
    return true;
  }

  /** Sends the end of the answer: the finish reason and usage. */
  private void end(int promptTokens, long t0) {
    String finish = completionTokens >= limit ? "length" : "stop";
    Usage usage = Usage.of(promptTokens, completionTokens);
    if (done.compareAndSet(false, true)) {
      if (stream) {
        sink.chunk(ChatCompletionChunk.delta(id, created, modelId, null, null, finish));
        if (request.isIncludeUsage()) {
          sink.chunk(ChatCompletionChunk.usage(id, created, modelId, usage));
        }
        sink.end();
      } else {
        sink.response(ChatCompletionResponse.of(id, created, modelId, text.toString(), finish, usage));
      }
    }
    int n = completionTokens;
    LOG.fine(() -> String.format("%s: %d prompt + %d completion tokens in %d ms (%s)", id, promptTokens, n,
      (System.nanoTime() - t0) / 1_000_000, finish));
  }

  @Override
  public boolean output(LlamaOutput out, boolean last) {
    if (!last) {
      completionTokens++; // the last output only marks the end
      tokensGenerated.incrementAndGet();
    }
    (stream ? unsent : text).append(out.text);
    return completionTokens >= limit;
  }

  @Override
  public void flush() {
    if (unsent.length() > 0) {
      sink.chunk(ChatCompletionChunk.delta(id, created, modelId, null, unsent.toString(), null));
      unsent.setLength(0);
    }
  }

  private InferenceParameters parameters(String prompt, int limit, String grammar) {
    Double temperature = request.getTemperature();
    InferenceParameters p = new InferenceParameters(prompt).setNPredict(limit)
      .setTemperature(temperature != null ? temperature.floatValue() : LlamaCppConfig.DEFAULT_TEMPERATURE)
      // Reuse the KV cache of the slot's previous prompt for a shared prefix (a conversation's earlier turns, a long
      // system prompt): a repeated 1,300-token prompt starts in ~10 ms instead of seconds. llama.cpp's default, made
      // explicit.
      .setCachePrompt(true);
    if (request.getTopP() != null) {
      p.setTopP(request.getTopP().floatValue());
    }
    if (request.getPresencePenalty() != null) {
      p.setPresencePenalty(request.getPresencePenalty().floatValue());
    }
    if (request.getFrequencyPenalty() != null) {
      p.setFrequencyPenalty(request.getFrequencyPenalty().floatValue());
    }
    Long seed = request.getSeed() != null ? request.getSeed() : config.seed;
    if (seed != null) {
      p.setSeed((int) (seed & 0x7FFFFFFFL)); // llama.cpp takes a uint32 and treats -1 as "random"
    }
    if (Boolean.TRUE.equals(request.toJson().getValue("ignore_eos"))) {
      p.setIgnoreEos(true); // llama.cpp's extension: generate exactly max_tokens (benchmarks)
    }
    List<String> stop = request.getStop().stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
    if (!stop.isEmpty()) {
      p.setStopStrings(stop.toArray(new String[0]));
    }
    if (grammar != null) {
      p.setGrammar(grammar); // response_format: only tokens the grammar allows are sampled
    }
    return p;
  }

  private void failStopped() {
    ServiceException reason = abort;
    fail(reason != null ? reason : LlmErrors.of(400, "invalid_request_error", null, "cancelled",
      "The request was cancelled"));
  }
}
