package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.ProviderContext;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A custom provider (type "custom", config {"class": this class}) that streams {@link #TICK} every 50 ms and never
 * ends by itself: an answer long enough to be stopped, the slow LLM the bundled model is not. The tick is markup, so
 * a page that shows it as HTML is caught. {@link #CANCELLED} counts the streams whose consumer cancelled them.
 */
public final class TickingProvider extends ModellessProvider {

  static final String TICK = "<b>tick</b><img src=x> ";
  static final AtomicInteger CANCELLED = new AtomicInteger();

  private Vertx vertx;

  @Override
  public Future<Void> start(ProviderContext context) {
    vertx = context.vertx();
    return Future.succeededFuture();
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    String id = "chatcmpl-ticking";
    long created = System.currentTimeMillis() / 1000;
    sink.chunk(ChatCompletionChunk.delta(id, created, "ticking", "assistant", "", null));
    long timer = vertx.setPeriodic(50, t -> sink.chunk(ChatCompletionChunk.delta(id, created, "ticking", null, TICK,
      null)));
    sink.onCancel(() -> {
      vertx.cancelTimer(timer);
      CANCELLED.incrementAndGet();
    });
  }
}
