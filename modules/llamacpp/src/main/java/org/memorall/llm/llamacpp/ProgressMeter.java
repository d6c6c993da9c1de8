package org.memorall.llm.llamacpp;

import org.memorall.llm.api.ServeProgress;

import java.util.function.Consumer;

/**
 * Turns a stream of byte counts into {@link ServeProgress} events: at most one every {@code intervalMs} while
 * bytes flow (a download reports every few KB; the event bus and an SSE client need a few per second), but
 * always on a phase change and at the end. Bytes never go back, so percent is monotonic; speed and ETA count only
 * bytes transferred in this session, not those a resumed download already had. Thread-safe.
 */
final class ProgressMeter {

  private final Consumer<ServeProgress> out;
  private final long intervalNanos;
  private final String model;
  private long total;
  private long done;
  private long sessionStartBytes = -1;
  private long sessionStartNanos;
  private long lastEmitNanos;
  private String phase;
  private ServeProgress last;

  ProgressMeter(String model, long total, long intervalMs, Consumer<ServeProgress> out) {
    this.model = model;
    this.total = total;
    this.intervalNanos = intervalMs * 1_000_000;
    this.out = out;
  }

  /** Bytes already on disk before this session (a resumed .part): they count as done, not as speed. */
  synchronized void resumedFrom(long bytes) {
    done = Math.max(done, bytes);
  }

  /** Now at {@code bytes} in {@code phase}; emits when the phase changed or the interval passed. */
  void update(String phase, long bytes) {
    ServeProgress event;
    synchronized (this) {
      long now = System.nanoTime();
      if (sessionStartBytes < 0 && "downloading".equals(phase)) {
        sessionStartBytes = done;
        sessionStartNanos = now;
      }
      done = Math.max(done, total > 0 ? Math.min(bytes, total) : bytes);
      boolean changed = !phase.equals(this.phase);
      if (!changed && now - lastEmitNanos < intervalNanos) {
        return;
      }
      this.phase = phase;
      lastEmitNanos = now;
      event = event(now);
      last = event;
    }
    out.accept(event);
  }

  /** Emits the current state now, whatever the interval (the final event of a phase), unless it was just sent. */
  void flush(String phase) {
    ServeProgress event;
    synchronized (this) {
      if (last != null && phase.equals(this.phase) && last.toJson().getLong("bytes") == done) {
        return;
      }
      this.phase = phase;
      lastEmitNanos = System.nanoTime();
      event = event(lastEmitNanos);
      last = event;
    }
    out.accept(event);
  }

  /** When the total was unknown up front (no size in the file list), the first response's length fixes it. */
  synchronized void totalIfUnknown(long bytes) {
    if (total <= 0 && bytes > 0) {
      total = bytes;
    }
  }

  synchronized ServeProgress last() {
    return last;
  }

  private ServeProgress event(long now) {
    ServeProgress p = ServeProgress.of(phase, done, total);
    // Not "model": the final "ready" event carries the loaded model's description under that key.
    p.toJson().put("repo", model);
    if (sessionStartBytes >= 0) {
      double seconds = (now - sessionStartNanos) / 1e9;
      long speed = seconds > 0.05 ? Math.round((done - sessionStartBytes) / seconds) : 0;
      p.toJson().put("bytesPerSecond", speed);
      if (speed > 0 && total > 0) {
        p.toJson().put("etaSeconds", Math.max(0, Math.round((total - done) / (double) speed)));
      }
    }
    return p;
  }
}
