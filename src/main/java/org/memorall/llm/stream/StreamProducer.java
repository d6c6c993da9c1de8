package org.memorall.llm.stream;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmErrors;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The producing end of an event-bus stream (see the package doc for the protocol). {@link #write}, {@link #end}
 * and {@link #fail} may be called from any thread; items written between two acknowledgements travel together
 * in one batch. Exactly one terminal message is sent; after it, or after a cancel, writes are ignored.
 */
public final class StreamProducer {

  private static final JsonObject END = new JsonObject().put("end", true);

  private final Vertx vertx;
  private final Context context;
  private final ConcurrentLinkedQueue<JsonObject> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final DeliveryOptions batchOptions = new DeliveryOptions().setSendTimeout(StreamOptions.IDLE_TIMEOUT_MS)
    .setCodecName(BatchCodec.NAME);
  private final DeliveryOptions terminalOptions = new DeliveryOptions().setCodecName(BatchCodec.NAME);
  private volatile JsonObject terminal;
  private volatile boolean closed;
  private volatile Runnable cancelHandler;
  private Runnable closeHandler;
  private JsonObject meta;

  // Only touched on the context.
  private Message<?> pending;
  private long lastSend = System.nanoTime();
  private final Heartbeats heartbeats;
  private final Flushes flushes;

  /** Must be created on the context that received {@code opening}. */
  public StreamProducer(Vertx vertx, Message<?> opening) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pending = opening;
    BatchCodec.registerOn(vertx);
    this.heartbeats = Heartbeats.of(vertx, context);
    this.flushes = Flushes.of(context);
    heartbeats.add(this);
  }

  /** Writes {@code item}, which then belongs to the stream: it reaches the consumer in this JVM uncopied. */
  public void write(JsonObject item) {
    if (closed || terminal != null) {
      return;
    }
    queue.add(item);
    scheduleFlush();
  }

  public void end() {
    terminate(END);
  }

  public void fail(Throwable error) {
    terminate(new JsonObject().put("error", LlmErrors.toJson(error)));
  }

  /**
   * Facts about the stream for the consumer (e.g. which LLM serves it), sent with the next batch and merged into
   * the consumer's {@code meta()}. Call on the producer's context.
   */
  public void meta(JsonObject facts) {
    meta = meta == null ? facts.copy() : meta.mergeIn(facts);
  }

  /** The action to run, once, when the consumer cancels or disappears. Runs at once if it already did. */
  public StreamProducer cancelHandler(Runnable handler) {
    this.cancelHandler = handler;
    if (closed && terminal == null) {
      context.runOnContext(v -> runCancel());
    }
    return this;
  }

  /** The action to run on the producer's context once the stream is over, whatever ended it. */
  public StreamProducer closeHandler(Runnable handler) {
    this.closeHandler = handler;
    return this;
  }

  /** True once the stream is over, by a terminal message or a cancel. */
  public boolean isClosed() {
    return closed;
  }

  public boolean isCancelled() {
    return closed && terminal == null;
  }

  private synchronized void terminate(JsonObject message) {
    if (closed || terminal != null) {
      return;
    }
    terminal = message;
    scheduleFlush();
  }

  private void scheduleFlush() {
    if (flushScheduled.compareAndSet(false, true)) {
      flushes.schedule(this);
    }
  }

  /** Run by {@link Flushes} on the context. */
  void flushScheduled() {
    flushScheduled.set(false);
    flush();
  }

  private void flush() {
    if (closed || pending == null) {
      return;
    }
    // Read the terminal before draining: every item written before it is then in the queue.
    JsonObject last = terminal;
    JsonArray items = new JsonArray();
    JsonObject item;
    while ((item = queue.poll()) != null) {
      items.add(item);
    }
    if (last != null) {
      Message<?> m = pending;
      pending = null;
      close();
      m.reply(withMeta(last.copy().put("items", items)), terminalOptions);
    } else if (!items.isEmpty()) {
      send(withMeta(new JsonObject().put("items", items)));
    }
  }

  private JsonObject withMeta(JsonObject batch) {
    if (meta != null) {
      batch.put("meta", meta);
      meta = null;
    }
    return batch;
  }

  /** Called by {@link Heartbeats} every {@link StreamOptions#HEARTBEAT_MS} on the context. */
  void heartbeat() {
    if (!closed && pending != null && System.nanoTime() - lastSend >= StreamOptions.HEARTBEAT_MS * 1_000_000L) {
      send(new JsonObject().put("items", new JsonArray()));
    }
  }

  private void send(JsonObject batch) {
    Message<?> m = pending;
    pending = null;
    lastSend = System.nanoTime();
    m.<JsonObject>replyAndRequest(batch, batchOptions).onComplete(this::onAck);
  }

  private void onAck(AsyncResult<Message<JsonObject>> ack) {
    if (closed) {
      return;
    }
    if (ack.failed() || ack.result().body() == null || ack.result().body().getBoolean("cancel", false)) {
      close();
      runCancel();
      return;
    }
    pending = ack.result();
    flush();
  }

  private void close() {
    closed = true;
    heartbeats.remove(this);
    if (closeHandler != null) {
      closeHandler.run();
    }
  }

  private void runCancel() {
    Runnable handler = cancelHandler;
    cancelHandler = null;
    if (handler != null) {
      handler.run();
    }
  }
}
