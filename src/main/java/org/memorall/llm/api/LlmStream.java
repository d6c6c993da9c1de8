package org.memorall.llm.api;

import io.vertx.core.AsyncResult;
import io.vertx.core.Closeable;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import org.memorall.llm.stream.BatchCodec;
import org.memorall.llm.stream.StreamOptions;

import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * The consuming end of an event-bus stream (protocol: {@link org.memorall.llm.stream}), as a {@link ReadStream}.
 * Items are delivered in order on the context that opened the stream, then exactly one of the end handler or
 * the exception handler runs, unless {@link #cancel()} was called first, after which no handler runs.
 * Handlers may be set from any thread, also after the first batch arrived: nothing is dropped for lack of a
 * handler (the end or failure waits for its handler).
 *
 * @param <T> the item type, mapped from the JSON items
 */
public final class LlmStream<T> implements ReadStream<T> {

  /** Meta field: the name of the LLM serving the stream (after a fallback, the one serving it now). */
  public static final String SERVED_BY = "servedBy";
  /** Meta field of a chat completion: milliseconds it waited in the LLM's queue for a slot. */
  public static final String QUEUE_WAIT_MS = "queueWaitMs";

  private final Function<JsonObject, T> mapper;
  private final DeliveryOptions ackOptions = new DeliveryOptions().setSendTimeout(StreamOptions.IDLE_TIMEOUT_MS);
  private final ArrayDeque<T> buffer = new ArrayDeque<>();
  private Handler<T> handler;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> endHandler;
  private Handler<Void> closeHandler;
  private long demand = Long.MAX_VALUE;
  private JsonObject meta = new JsonObject();
  private boolean ended;
  private Throwable failure;
  private boolean terminated;
  private boolean cancelRequested;
  private boolean closed;
  private boolean draining;

  private Closeable undeployHook;
  private ContextInternal hookContext;

  private LlmStream(Function<JsonObject, T> mapper) {
    this.mapper = mapper;
  }

  /** Opens a stream: sends {@code body} to {@code address} with the given action header. */
  public static <T> LlmStream<T> open(Vertx vertx, String address, String action, JsonObject body,
                                       DeliveryOptions options, Function<JsonObject, T> mapper) {
    LlmStream<T> stream = new LlmStream<>(mapper);
    BatchCodec.registerOn(vertx);
    DeliveryOptions opts = new DeliveryOptions(options == null ? new DeliveryOptions() : options)
      .addHeader("action", action)
      .setSendTimeout(StreamOptions.IDLE_TIMEOUT_MS);
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    if (context.isDeployment()) {
      // A verticle undeployed mid-stream must not leave its generation running.
      stream.undeployHook = completion -> {
        stream.cancel();
        completion.succeed();
      };
      stream.hookContext = context;
      context.addCloseHook(stream.undeployHook);
    }
    vertx.eventBus().<JsonObject>request(address, body, opts).onComplete(stream::onBatch);
    return stream;
  }

  /**
   * Asks the producer to stop. It takes effect at the producer's next batch (the next item or heartbeat); from
   * now on no handler of this stream runs.
   */
  public synchronized void cancel() {
    if (!terminated) {
      cancelRequested = true;
      buffer.clear();
    }
  }

  /** What the producer told about the stream so far, e.g. {@link #SERVED_BY}; a snapshot. */
  public synchronized JsonObject meta() {
    return meta;
  }

  /** The LLM serving this stream, once known (it is known when the first item arrives), else null. */
  public synchronized String servedBy() {
    return meta.getString(SERVED_BY);
  }

  /** Runs once when the stream is over for the producer too: ended, failed, or its cancel delivered. */
  public synchronized LlmStream<T> closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
    if (closed && handler != null) {
      handler.handle(null);
    }
    return this;
  }

  private synchronized void onBatch(AsyncResult<Message<JsonObject>> ar) {
    if (ar.failed()) {
      finish(null, LlmErrors.from(ar.cause()));
      return;
    }
    Message<JsonObject> message = ar.result();
    JsonObject batch = message.body();
    if (cancelRequested) {
      if (!batch.containsKey("end") && !batch.containsKey("error")) {
        message.reply(new JsonObject().put("cancel", true));
      }
      close();
      return;
    }
    JsonObject facts = batch.getJsonObject("meta");
    if (facts != null) {
      meta = meta.copy().mergeIn(facts);
    }
    JsonArray items = batch.getJsonArray("items", new JsonArray());
    for (int i = 0; i < items.size(); i++) {
      buffer.add(mapper.apply(items.getJsonObject(i)));
    }
    if (batch.getBoolean("end", false)) {
      finish(true, null);
    } else if (batch.containsKey("error")) {
      finish(null, LlmErrors.fromJson(batch.getJsonObject("error")));
    } else {
      message.<JsonObject>replyAndRequest(new JsonObject(), ackOptions).onComplete(this::onBatch);
    }
    drain();
  }

  private void finish(Boolean end, Throwable error) {
    ended = end != null;
    failure = error;
    close();
    drain();
  }

  private void close() {
    if (!closed) {
      closed = true;
      if (undeployHook != null) {
        hookContext.removeCloseHook(undeployHook);
      }
      if (closeHandler != null) {
        closeHandler.handle(null);
      }
    }
  }

  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (!cancelRequested && handler != null && demand > 0 && !buffer.isEmpty()) {
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        handler.handle(buffer.poll());
      }
      // The terminal event waits for its handler, so that one set late (from another thread) still gets it.
      if (!cancelRequested && !terminated && buffer.isEmpty()) {
        if (failure != null && exceptionHandler != null) {
          terminated = true;
          exceptionHandler.handle(failure);
        } else if (ended && endHandler != null) {
          terminated = true;
          endHandler.handle(null);
        }
      }
    } finally {
      draining = false;
    }
  }

  @Override
  public synchronized LlmStream<T> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    drain();
    return this;
  }

  @Override
  public synchronized LlmStream<T> handler(Handler<T> handler) {
    this.handler = handler;
    drain();
    return this;
  }

  @Override
  public synchronized LlmStream<T> pause() {
    demand = 0;
    return this;
  }

  @Override
  public synchronized LlmStream<T> resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public synchronized LlmStream<T> fetch(long amount) {
    demand = amount == Long.MAX_VALUE || demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    drain();
    return this;
  }

  @Override
  public synchronized LlmStream<T> endHandler(Handler<Void> handler) {
    this.endHandler = handler;
    drain();
    return this;
  }
}
