package org.memorall.llm;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A CompletionSink that records what a provider writes, for the provider modules' tests; {@link #done()} completes
 * on the terminal call.
 */
public final class CollectingSink implements CompletionSink {

  public final List<ChatCompletionChunk> chunks = new CopyOnWriteArrayList<>();
  public final AtomicInteger terminalCalls = new AtomicInteger();
  public final AtomicInteger callsAfterTerminal = new AtomicInteger();
  private final Promise<ChatCompletionResponse> done = Promise.promise();
  private volatile Runnable cancelAction;
  private volatile boolean cancelled;
  private volatile Consumer<ChatCompletionChunk> onChunk = c -> {
  };

  /** Resolves with the response (null for a stream that ended), fails with the error. */
  public Future<ChatCompletionResponse> done() {
    return done.future();
  }

  public CollectingSink onChunk(Consumer<ChatCompletionChunk> action) {
    this.onChunk = action;
    return this;
  }

  /** What a consumer that goes away does. */
  public void cancel() {
    cancelled = true;
    Runnable action = cancelAction;
    if (action != null) {
      action.run();
    }
  }

  public String text() {
    StringBuilder sb = new StringBuilder();
    chunks.forEach(c -> sb.append(c.getContent() == null ? "" : c.getContent()));
    return sb.toString();
  }

  @Override
  public void chunk(ChatCompletionChunk chunk) {
    if (terminalCalls.get() > 0) {
      callsAfterTerminal.incrementAndGet();
      return;
    }
    chunks.add(chunk);
    onChunk.accept(chunk);
  }

  @Override
  public void response(ChatCompletionResponse response) {
    terminal(() -> done.complete(response));
  }

  @Override
  public void end() {
    terminal(() -> done.complete(null));
  }

  @Override
  public void fail(Throwable error) {
    terminal(() -> done.fail(error));
  }

  private void terminal(Runnable action) {
    if (terminalCalls.incrementAndGet() == 1) {
      action.run();
    } else {
      callsAfterTerminal.incrementAndGet();
    }
  }

  @Override
  public void onCancel(Runnable action) {
    cancelAction = action;
    if (cancelled) {
      action.run();
    }
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }
}
