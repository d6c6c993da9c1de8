package org.memorall.llm.llamacpp;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.function.Supplier;

/** Runs asynchronous operations one after another: load, unload, replace and delete never overlap. */
final class SerialQueue {

  private Future<?> tail = Future.succeededFuture();

  /** Starts {@code op} once every operation submitted before it has finished, whatever their outcome. */
  <T> Future<T> submit(Supplier<Future<T>> op) {
    Promise<T> promise = Promise.promise();
    Future<?> before;
    synchronized (this) {
      before = tail;
      tail = promise.future();
    }
    // Outside the lock: when nothing is pending, op runs right here on the caller's thread.
    before.onComplete(previous -> {
      try {
        op.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }
}
