package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * One named LLM in the registry and its queue of chat completions: FIFO, at most {@code slots} in flight,
 * at most {@code maxQueue} waiting for at most {@code queueTimeoutMs}. An LLM whose provider broke after it was
 * ready is {@linkplain #fail failed}: it refuses requests until its backoff has passed, then the registry starts
 * a new provider. Used on the registry's context only.
 */
final class LlmEntry {

  static final String QUEUE_FULL = "queue_full";
  static final String QUEUE_TIMEOUT = "queue_timeout";
  static final String REMOVED = "llm_removed";
  static final String FAILED = "llm_failed";
  /** Backoff before re-initialising a failed LLM: doubles with each failure in a row, capped. */
  static final long FIRST_BACKOFF_MS = 1000, MAX_BACKOFF_MS = 60_000;

  final String name;
  final String type;
  final JsonObject config;
  final RoutingPolicy policy;
  /** When it was created, in seconds since the epoch (OpenAI's {@code created} of a model). */
  final long created = System.currentTimeMillis() / 1000;
  /** The provider verticle's deployment; replaced when a failed LLM is re-initialised. */
  Future<String> deployment;
  private final Vertx vertx;
  /** Concurrent and volatile only because the metrics gauges read them from the scrape's thread. */
  private final ConcurrentLinkedDeque<Waiter> queue = new ConcurrentLinkedDeque<>();
  private volatile int slots = 1;
  private volatile int inFlight;
  private boolean removed;
  private String failure;
  private int failuresInARow;
  private long retryAtNanos;

  LlmEntry(Vertx vertx, String name, String type, JsonObject config, RoutingPolicy policy) {
    this.vertx = vertx;
    this.name = name;
    this.type = type;
    this.config = config;
    this.policy = policy;
  }

  void slots(int slots) {
    this.slots = Math.max(1, slots);
  }

  int slots() {
    return slots;
  }

  int inFlight() {
    return inFlight;
  }

  int queued() {
    return queue.size();
  }

  /** A slot: now when one is free, else after the requests queued before this one. */
  Waiter acquire() {
    Waiter waiter = new Waiter();
    if (removed) {
      waiter.promise.fail(removedError());
    } else if (inFlight < slots && queue.isEmpty()) {
      inFlight++;
      waiter.promise.complete();
    } else if (queue.size() >= policy.maxQueue) {
      waiter.promise.fail(LlmErrors.of(429, "rate_limit_error", null, QUEUE_FULL, "LLM '" + name + "' is busy: "
        + queue.size() + " requests are already queued. Retry later."));
    } else {
      queue.add(waiter);
      waiter.timer = vertx.setTimer(policy.queueTimeoutMs, id -> {
        if (queue.remove(waiter)) {
          waiter.promise.fail(LlmErrors.of(503, "server_error", null, QUEUE_TIMEOUT, "LLM '" + name
            + "' did not free a slot within " + policy.queueTimeoutMs + " ms; the request was not run"));
        }
      });
    }
    return waiter;
  }

  /** Gives back a slot taken by a successful {@link #acquire()}, handing it to the next in line. */
  void release() {
    inFlight--;
    dispatch();
  }

  /** Fails everything queued: the LLM is going away. */
  void remove() {
    removed = true;
    failQueued(removedError());
  }

  private void failQueued(ServiceException error) {
    Waiter w;
    while ((w = queue.poll()) != null) {
      vertx.cancelTimer(w.timer);
      w.promise.tryFail(error);
    }
  }

  /** Marks the LLM failed for {@code reason} and answers everything queued with {@link #failedError()}. */
  void fail(String reason) {
    failure = reason;
    long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(failuresInARow, 16));
    failuresInARow++;
    retryAtNanos = System.nanoTime() + backoff * 1_000_000L;
    failQueued(failedError());
  }

  /** The reason the LLM failed, or null when it is not failed (also while it is being re-initialised). */
  String failure() {
    return failure;
  }

  int failuresInARow() {
    return failuresInARow;
  }

  /** How long until the failed LLM may be re-initialised; 0 when it may be now. */
  long retryInMs() {
    return Math.max(0, (retryAtNanos - System.nanoTime() + 999_999) / 1_000_000);
  }

  /** A re-initialisation begins: the LLM is loading again, the failure count stays for the next backoff. */
  void recovering() {
    failure = null;
  }

  /** The provider started again: the backoff starts over. */
  void recovered() {
    failuresInARow = 0;
  }

  /** What a request to the failed LLM gets: a 503 naming the reason, with Retry-After at the end of the backoff. */
  ServiceException failedError() {
    long wait = retryInMs();
    return LlmErrors.withRetryAfter(LlmErrors.of(503, "server_error", null, FAILED, "LLM '" + name + "' failed: "
      + failure + (wait > 0 ? "; it is re-initialised on a request after " + wait + " ms" : "")), Math.max(wait, 1));
  }

  private ServiceException removedError() {
    return LlmErrors.of(503, "server_error", null, REMOVED, "LLM '" + name + "' was removed");
  }

  private void dispatch() {
    while (inFlight < slots && !queue.isEmpty()) {
      Waiter w = queue.poll();
      vertx.cancelTimer(w.timer);
      inFlight++;
      w.promise.complete();
    }
  }

  /** A place in the queue. */
  final class Waiter {
    final Promise<Void> promise = Promise.promise();
    long timer = -1;

    Future<Void> future() {
      return promise.future();
    }

    /** Leaves the queue without running; does nothing once the slot was granted (the holder releases it). */
    void leave() {
      if (queue.remove(this)) {
        vertx.cancelTimer(timer);
        promise.tryFail(LlmErrors.of(499, "invalid_request_error", null, "cancelled", "Cancelled by the client"));
      }
    }
  }
}
