package org.memorall.llm.node;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogManager;

/**
 * java.util.logging's manager for a node started by {@link Main}. The JDK's own shutdown hook resets logging (removes
 * and closes every handler) while the node's shutdown hook is still draining the requests in flight, so everything
 * logged during the drain ("Shutting down ...", "Ending ... chat completions ...") was lost. Here the reset at exit
 * waits until the node's hook says it is done (at most {@link #holdResetUntil}'s limit); any other reset (a
 * configuration re-read) happens at once.
 */
public final class NodeLogManager extends LogManager {

  private static volatile CountDownLatch drained;
  private static volatile long maxWaitMs;

  public NodeLogManager() {
    super();
  }

  /** Makes the reset at exit wait for {@code done} (the node's drain), at most {@code limitMs}. */
  static void holdResetUntil(CountDownLatch done, long limitMs) {
    maxWaitMs = limitMs;
    drained = done;
  }

  @Override
  public void reset() {
    CountDownLatch done = drained;
    if (done != null && exiting()) {
      try {
        done.await(maxWaitMs, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    super.reset();
  }

  /** True while the JVM runs its shutdown hooks: a hook can then no longer be added. */
  private static boolean exiting() {
    Thread probe = new Thread(() -> { });
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
