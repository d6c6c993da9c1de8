package org.memorall.llm.api;

/**
 * Where a provider writes the answer to one chat completion. Every method may be called from any thread.
 * <p>
 * For a streaming request ({@code stream: true}) the provider writes chunks in order with {@link #chunk} and then
 * calls {@link #end()}; for a non-streaming one it calls {@link #response} once. Either way the answer ends with
 * exactly one terminal call ({@code end}, {@code response} or {@link #fail}); calls after it are ignored.
 * When the consumer goes away or cancels, the {@link #onCancel} action runs once and the provider should stop
 * generating and free what it holds.
 * <p>
 * A chunk or response given to the sink belongs to the stream from then on: the provider must not change or reuse
 * it (within a JVM it reaches the consumer without a copy).
 */
public interface CompletionSink {

  void chunk(ChatCompletionChunk chunk);

  void response(ChatCompletionResponse response);

  void end();

  void fail(Throwable error);

  /** Sets the action to run when the consumer cancels; runs at once if it already did. */
  void onCancel(Runnable action);

  boolean isCancelled();
}
