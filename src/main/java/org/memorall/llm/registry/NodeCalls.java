package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.serviceproxy.ServiceException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The calls to other nodes' registries in flight (info, management, embeddings), by node. Vert.x does not fail an
 * event-bus request whose target node died (eclipse-vertx/vert.x#4170): it would wait for its whole send timeout.
 * So when a node is gone ({@link ClusterView}), its calls here fail at once, with the error given; a reply that
 * comes later is dropped. Used on the registry's context only.
 */
final class NodeCalls {

  private final Map<String, Set<Promise<?>>> pending = new HashMap<>();

  /** {@code call}, sent to node {@code nodeId}: it ends with it, or when that node is gone. */
  <T> Future<T> track(String nodeId, Future<T> call) {
    Promise<T> promise = Promise.promise();
    Set<Promise<?>> calls = pending.computeIfAbsent(nodeId, k -> new HashSet<>());
    calls.add(promise);
    call.onComplete(ar -> {
      if (calls.remove(promise) && calls.isEmpty()) {
        pending.remove(nodeId, calls);
      }
      if (ar.succeeded()) {
        promise.tryComplete(ar.result());
      } else {
        promise.tryFail(ar.cause());
      }
    });
    return promise.future();
  }

  /** Node {@code nodeId} is gone: its calls fail with {@code error} now. */
  void nodeLeft(String nodeId, ServiceException error) {
    Set<Promise<?>> calls = pending.remove(nodeId);
    if (calls != null) {
      new ArrayList<>(calls).forEach(p -> p.tryFail(error));
    }
  }
}
