package org.memorall.llm.stream;

import io.vertx.core.Context;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One task on a context flushes every {@link StreamProducer} of it that was written to from another thread since
 * the last: items written to several streams at once (a model's decode step gives every stream a token) wake the
 * context's event loop once, not once per stream.
 */
final class Flushes {

  private static final Object KEY = Flushes.class;
  private static final Logger LOG = Logger.getLogger("org.memorall.llm.stream");

  private final Context context;
  private final ConcurrentLinkedQueue<StreamProducer> dirty = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  private Flushes(Context context) {
    this.context = context;
  }

  /** The flushes of {@code context}; call on its thread. */
  static Flushes of(Context context) {
    Flushes flushes = context.get(KEY);
    if (flushes == null) {
      flushes = new Flushes(context);
      context.put(KEY, flushes);
    }
    return flushes;
  }

  /** Flushes {@code producer} on the context soon; any thread. The producer adds itself at most once at a time. */
  void schedule(StreamProducer producer) {
    dirty.add(producer);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> run());
    }
  }

  private void run() {
    scheduled.set(false);
    StreamProducer producer;
    while ((producer = dirty.poll()) != null) {
      try {
        producer.flushScheduled();
      } catch (RuntimeException e) { // (a close handler's failure must not leave the others unflushed)
        LOG.log(Level.WARNING, "Flushing a stream failed", e);
      }
    }
  }
}
