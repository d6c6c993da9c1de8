package org.memorall.llm.node;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log handler that writes from a thread of its own: in order, never blocking the caller, nothing lost at close. */
class BackgroundConsoleHandlerTest {

  @Test
  void recordsAreWrittenInOrderWithTheCallerAsSource() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BackgroundConsoleHandler handler = new BackgroundConsoleHandler(out, 64);
    handler.setFormatter(new Formatter() {
      @Override
      public String format(LogRecord record) { // on the writer's thread
        return record.getSourceClassName() + " " + record.getSourceMethodName() + ": " + record.getMessage()
          + System.lineSeparator();
      }
    });
    Logger logger = Logger.getAnonymousLogger();
    logger.setUseParentHandlers(false);
    logger.addHandler(handler);
    for (int i = 0; i < 10; i++) {
      logger.info("line " + i);
    }
    handler.close();
    String text = out.toString(StandardCharsets.UTF_8);
    int at = -1;
    for (int i = 0; i < 10; i++) {
      int next = text.indexOf("line " + i + System.lineSeparator());
      assertTrue(next > at, "line " + i + " missing or out of order in:\n" + text);
      at = next;
    }
    // The source is the test method, found on the thread that logged, not the writer's.
    assertEquals(10, text.lines().filter(l -> l.startsWith(getClass().getName()
      + " recordsAreWrittenInOrderWithTheCallerAsSource: line ")).count(), text);
  }

  @Test
  void aBlockedStderrNeverBlocksTheCallerAndTheDropsAreCounted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    OutputStream stuck = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          release.await(); // a full pipe: the write waits
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        synchronized (written) {
          written.write(b, off, len);
        }
      }
    };
    BackgroundConsoleHandler handler = new BackgroundConsoleHandler(stuck, 4);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      for (int i = 0; i < 1000; i++) {
        handler.publish(new LogRecord(Level.INFO, "record " + i));
      }
    });
    release.countDown();
    handler.close();
    String text;
    synchronized (written) {
      text = written.toString(StandardCharsets.UTF_8);
    }
    long kept = text.lines().filter(l -> l.contains("record ")).count();
    assertTrue(kept >= 4 && kept < 1000, kept + " records written:\n" + text);
    long dropped = Pattern.compile("(\\d+) log records were dropped").matcher(text).results()
      .mapToLong(m -> Long.parseLong(m.group(1))).sum();
    assertEquals(1000 - kept, dropped, text);
  }

  @Test
  void aBadLevelInTheConfigurationFallsBackToInfo() throws Exception {
    LogManager manager = LogManager.getLogManager();
    String key = BackgroundConsoleHandler.class.getName() + ".level";
    String before = manager.getProperty(key);
    manager.updateConfiguration(k -> k.equals(key) ? (o, n) -> "Info" : (o, n) -> o);
    try {
      BackgroundConsoleHandler handler = new BackgroundConsoleHandler();
      assertEquals(Level.INFO, handler.getLevel());
      handler.close();
    } finally {
      manager.updateConfiguration(k -> k.equals(key) ? (o, n) -> before : (o, n) -> o);
    }
  }

  @Test
  void recordsLoggedAfterCloseAreWrittenAtOnce() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BackgroundConsoleHandler handler = new BackgroundConsoleHandler(out, 64);
    handler.close();
    handler.publish(new LogRecord(Level.WARNING, "while exiting"));
    assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("while exiting")).count());
  }
}
