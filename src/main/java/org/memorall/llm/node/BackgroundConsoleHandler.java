package org.memorall.llm.node;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.ErrorManager;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * java.util.logging's console handler without its cost on the event loop: {@link #publish} only queues the record;
 * a daemon thread formats it and writes to stderr. The thread writes what is queued in one write, then waits
 * {@value #LINGER_MS} ms before it looks again, so under load records travel in batches and the thread that logged
 * does not wake the writer for each record (waking a thread costs it a system call). A slow or blocked stderr (a
 * full pipe, a busy terminal) never holds the thread that logged: when {@value #CAPACITY} records wait, new ones are
 * dropped and the number dropped is written once there is room. Records queued when the JVM exits are written by
 * {@link #close()} (java.util.logging calls it at exit). Configured in {@code conf/logging.properties} like
 * {@code ConsoleHandler}: {@code <this class>.level} and {@code <this class>.formatter}.
 */
public final class BackgroundConsoleHandler extends Handler {

  static final int CAPACITY = 8192;
  static final long LINGER_MS = 5;
  private static final long CLOSE_WAIT_MS = 2_000;

  private final BlockingQueue<LogRecord> queue;
  private final PrintStream out;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;

  /** Used by java.util.logging: writes to stderr. */
  public BackgroundConsoleHandler() {
    this(System.err, CAPACITY);
    LogManager manager = LogManager.getLogManager();
    String prefix = getClass().getName();
    setLevel(level(manager.getProperty(prefix + ".level")));
    setFormatter(formatter(manager.getProperty(prefix + ".formatter")));
  }

  BackgroundConsoleHandler(OutputStream out, int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.out = out instanceof PrintStream ? (PrintStream) out : new PrintStream(out, false, StandardCharsets.UTF_8);
    setFormatter(new SimpleFormatter());
    writer = new Thread(this::writeLoop, "llm-log-writer");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public void publish(LogRecord record) {
    if (!isLoggable(record)) {
      return;
    }
    // The caller is found from the stack of the thread that logged, so find it now (logp names it and skips this).
    record.getSourceClassName();
    if (closed) {
      write(List.of(record)); // logged while the JVM exits: written at once rather than lost
    } else if (!queue.offer(record)) {
      dropped.incrementAndGet();
    } else if (closed) {
      writeQueued(); // close() ran between the check and the offer: its drain may have missed this record
    }
  }

  /** Nothing to do: the writer flushes stderr after every batch. */
  @Override
  public void flush() {
  }

  /**
   * Lets the writer write what is queued (waiting at most {@value #CLOSE_WAIT_MS} ms); later records are written
   * synchronously.
   */
  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    try {
      writer.join(CLOSE_WAIT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!writer.isAlive()) {
      writeQueued();
    } // else the writer is stuck on a blocked stderr: waiting for it would hang the JVM's exit
  }

  private void writeQueued() {
    List<LogRecord> rest = new ArrayList<>();
    queue.drainTo(rest);
    if (!rest.isEmpty()) {
      write(rest);
    }
  }

  private void writeLoop() {
    List<LogRecord> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        LogRecord first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        // close(): write what is left, then stop
      }
      queue.drainTo(batch);
      write(batch);
      batch.clear();
      linger();
    }
  }

  /** Records logged meanwhile queue up without waking this thread (it does not wait on the queue). */
  private void linger() {
    if (!closed) {
      try {
        Thread.sleep(LINGER_MS);
      } catch (InterruptedException e) {
        // close(): write what is left, then stop
      }
    }
  }

  /** Formats the records and writes them in one piece (stderr flushes at every print that holds a line end). */
  private synchronized void write(List<LogRecord> records) {
    StringBuilder text = new StringBuilder();
    long lost = dropped.getAndSet(0);
    if (lost > 0) {
      text.append(getFormatter().format(new LogRecord(Level.WARNING, lost + " log records were dropped: stderr did "
        + "not keep up")));
    }
    for (LogRecord record : records) {
      try {
        text.append(getFormatter().format(record));
      } catch (RuntimeException e) {
        reportError(null, e, ErrorManager.FORMAT_FAILURE);
      }
    }
    out.print(text);
    out.flush();
  }

  /** The configured level; INFO when there is none or it is not a level (as ConsoleHandler does). */
  private static Level level(String name) {
    try {
      return name == null ? Level.INFO : Level.parse(name.trim());
    } catch (IllegalArgumentException e) {
      return Level.INFO;
    }
  }

  private static Formatter formatter(String className) {
    if (className != null) {
      try {
        return (Formatter) ClassLoader.getSystemClassLoader().loadClass(className.trim()).getDeclaredConstructor()
          .newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        // fall back to the default, as ConsoleHandler does
      }
    }
    return new SimpleFormatter();
  }
}
