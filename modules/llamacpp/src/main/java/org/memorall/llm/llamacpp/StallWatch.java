package org.memorall.llm.llamacpp;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives up on a download whose connection stays silent: java.net.http has no read timeout for a streamed body,
 * so a peer that stops sending without closing would block the download thread forever. The watch closes the
 * body, which makes the blocked read fail.
 */
final class StallWatch {

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "hf-download-watch");
    t.setDaemon(true);
    return t;
  });

  private final Closeable body;
  private final long timeoutNanos;
  private volatile long lastProgress = System.nanoTime();
  private volatile boolean stalled;
  private ScheduledFuture<?> check;

  private StallWatch(Closeable body, long timeoutMs) {
    this.body = body;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
  }

  static StallWatch watch(Closeable body, long timeoutMs) {
    StallWatch w = new StallWatch(body, timeoutMs);
    long period = Math.max(50, timeoutMs / 4);
    w.check = TIMER.scheduleAtFixedRate(w::checkNow, period, period, TimeUnit.MILLISECONDS);
    return w;
  }

  void progressed() {
    lastProgress = System.nanoTime();
  }

  boolean stalled() {
    return stalled;
  }

  void cancel() {
    check.cancel(false);
  }

  private void checkNow() {
    if (!stalled && System.nanoTime() - lastProgress > timeoutNanos) {
      stalled = true;
      try {
        body.close();
      } catch (IOException ignored) {
        // Closing is how the blocked read is woken; a failure to close leaves nothing else to do.
      }
      check.cancel(false);
    }
  }
}
