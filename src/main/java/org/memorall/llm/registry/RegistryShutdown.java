package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The registry's graceful shutdown: the chat completions being answered, so that a shutdown can stop taking new
 * requests, wait for them, and end the rest after the grace period. Used on the registry's context only.
 */
final class RegistryShutdown {

  private static final Logger LOG = Logger.getLogger(RegistryShutdown.class.getName());
  static final String SHUTTING_DOWN = "shutting_down";

  private final Vertx vertx;
  private final Set<ChatRelay> relays = new HashSet<>();
  private boolean closing;
  private Promise<Void> drained;

  RegistryShutdown(Vertx vertx) {
    this.vertx = vertx;
  }

  /** True once a shutdown started: new requests get {@link #error()}. */
  boolean closing() {
    return closing;
  }

  void started(ChatRelay relay) {
    relays.add(relay);
  }

  void ended(ChatRelay relay) {
    relays.remove(relay);
    if (closing && relays.isEmpty()) {
      drained.tryComplete();
    }
  }

  /**
   * Stops taking requests and completes when the chat completions in flight have finished, or after
   * {@code graceMs}, when those still running are ended with a 503. A second call gets the first one's future.
   */
  Future<Void> drain(long graceMs) {
    if (closing) {
      return drained.future();
    }
    closing = true;
    drained = Promise.promise();
    LOG.info(() -> "Shutting down: " + relays.size() + " chat completions in flight, " + graceMs + " ms to finish");
    if (relays.isEmpty()) {
      drained.tryComplete();
    }
    long timer = vertx.setTimer(Math.max(1, graceMs), id -> {
      if (!relays.isEmpty()) {
        LOG.warning(() -> "Ending " + relays.size() + " chat completions still running after the grace period");
        new ArrayList<>(relays).forEach(r -> r.abort(LlmErrors.of(503, "server_error", null, SHUTTING_DOWN,
          "The server is shutting down; the request did not finish within the grace period of " + graceMs + " ms")));
      }
      drained.tryComplete();
    });
    return drained.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  static ServiceException error() {
    return LlmErrors.of(503, "server_error", null, SHUTTING_DOWN, "The server is shutting down");
  }
}
