package org.memorall.llm.llamacpp;

import org.memorall.llm.api.ServeProgress;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The downloads running in this JVM, one per model file, shared by every serve that asks for it (from any LLM):
 * the second caller joins the first one's download, gets its progress from where it is, and the same result.
 * Each download runs on its own daemon thread, not a Vert.x worker: it may take hours, which the blocked-thread
 * checker would report, and it must not hold a worker another LLM needs.
 */
final class DownloadRegistry {

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");
  private static final Map<Path, Shared> RUNNING = new ConcurrentHashMap<>();

  private DownloadRegistry() {
  }

  /** The blocking work of one download, reporting to the meter it is given. */
  interface Task {
    Path run(Consumer<ServeProgress> progress) throws Exception;
  }

  /**
   * Joins the download of {@code key} (the first part's final path) or starts it with {@code task};
   * {@code listener} gets its progress events (on the download thread, or the caller's when joining).
   */
  static CompletableFuture<Path> fetch(Path key, Consumer<ServeProgress> listener, Task task) {
    Shared shared;
    boolean start = false;
    synchronized (RUNNING) {
      shared = RUNNING.get(key);
      if (shared == null) {
        shared = new Shared();
        RUNNING.put(key, shared);
        start = true;
      }
    }
    shared.join(listener);
    if (start) {
      Shared s = shared;
      Thread thread = new Thread(() -> run(key, s, task), "hf-download-" + key.getFileName());
      thread.setDaemon(true);
      thread.start();
    } else {
      LOG.fine(() -> "Joining the download of " + key);
    }
    return shared.result;
  }

  /** Number of downloads running (for tests and status). */
  static int running() {
    return RUNNING.size();
  }

  private static void run(Path key, Shared s, Task task) {
    try {
      Path path = task.run(s::broadcast);
      remove(key, s);
      s.result.complete(path);
    } catch (Throwable t) {
      remove(key, s);
      s.result.completeExceptionally(t);
    }
  }

  /** Removed before the result is set: a serve arriving later starts afresh (and finds the file in place). */
  private static void remove(Path key, Shared s) {
    synchronized (RUNNING) {
      RUNNING.remove(key, s);
    }
  }

  private static final class Shared {
    private final List<Consumer<ServeProgress>> listeners = new CopyOnWriteArrayList<>();
    final CompletableFuture<Path> result = new CompletableFuture<>();
    private ServeProgress last;

    /** Under the same lock as broadcast, so a joiner never sees an older event after a newer one. */
    synchronized void join(Consumer<ServeProgress> listener) {
      listeners.add(listener);
      if (last != null) {
        listener.accept(last); // a joiner starts from where the download is
      }
    }

    synchronized void broadcast(ServeProgress p) {
      last = p;
      for (Consumer<ServeProgress> l : listeners) {
        l.accept(p);
      }
    }
  }
}
