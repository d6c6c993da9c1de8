package org.memorall.llm.stream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One periodic timer per context for the heartbeats of all its open {@link StreamProducer}s, rather than one timer
 * per stream: arming and cancelling a timer for every request was a measurable part of a proxied request's cost.
 * Only used on its context's thread.
 */
final class Heartbeats {

  private static final Object KEY = Heartbeats.class;

  private final Vertx vertx;
  private final Set<StreamProducer> producers = new LinkedHashSet<>();
  private long timer = -1;

  private Heartbeats(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The heartbeats of {@code context}; call on its thread. */
  static Heartbeats of(Vertx vertx, Context context) {
    Heartbeats heartbeats = context.get(KEY);
    if (heartbeats == null) {
      heartbeats = new Heartbeats(vertx);
      context.put(KEY, heartbeats);
    }
    return heartbeats;
  }

  void add(StreamProducer producer) {
    producers.add(producer);
    if (timer < 0) {
      timer = vertx.setPeriodic(StreamOptions.HEARTBEAT_MS, id -> beat());
    }
  }

  void remove(StreamProducer producer) {
    producers.remove(producer);
  }

  private void beat() {
    if (producers.isEmpty()) {
      vertx.cancelTimer(timer);
      timer = -1;
      return;
    }
    for (StreamProducer producer : new ArrayList<>(producers)) {
      producer.heartbeat();
    }
  }
}
