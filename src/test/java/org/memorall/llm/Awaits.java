package org.memorall.llm;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.serviceproxy.ServiceException;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Blocking waits shared by the provider modules' tests. */
public final class Awaits {

  private Awaits() {
  }

  /** The failure of {@code f} as a ServiceException (asserting that it failed within {@code timeoutS}). */
  public static ServiceException failure(Future<?> f, long timeoutS) throws Exception {
    AsyncResult<?> ar = f.<AsyncResult<?>>transform(Future::succeededFuture).await(timeoutS, TimeUnit.SECONDS);
    assertTrue(ar.failed(), "expected a failure, got " + (ar.succeeded() ? ar.result() : null));
    return assertInstanceOf(ServiceException.class, ar.cause(), String.valueOf(ar.cause()));
  }

  /** Polls {@code condition} until it holds, or fails after {@code timeoutS}. */
  public static void eventually(String what, long timeoutS, Check condition) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
    while (!condition.holds()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }

  public interface Check {
    boolean holds() throws Exception;
  }
}
