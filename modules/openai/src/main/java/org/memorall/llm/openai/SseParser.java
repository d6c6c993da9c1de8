package org.memorall.llm.openai;

import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Server-Sent Events, parsed incrementally as bytes arrive: an event may be split across any number of TCP
 * chunks, a chunk may hold several events. Hands each event's data (its {@code data:} lines joined with
 * {@code \n}) to the consumer. Lines are split on bytes, so a UTF-8 character split between chunks stays whole;
 * comments and other fields (event, id, retry) are ignored.
 */
final class SseParser {

  private final Consumer<String> onData;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private StringBuilder data;
  private boolean afterCr;
  private boolean stopped;

  SseParser(Consumer<String> onData) {
    this.onData = onData;
  }

  void feed(Buffer buffer) {
    byte[] bytes = buffer.getBytes();
    int start = 0;
    for (int i = 0; i < bytes.length && !stopped; i++) {
      byte b = bytes[i];
      if (b == '\n' && afterCr) {
        // The LF of a CRLF: the line already ended at the CR.
        afterCr = false;
        start = i + 1;
        continue;
      }
      afterCr = b == '\r';
      if (b == '\n' || b == '\r') {
        line.write(bytes, start, i - start);
        start = i + 1;
        endLine();
      }
    }
    if (!stopped && start < bytes.length) {
      line.write(bytes, start, bytes.length - start);
    }
  }

  /**
   * The stream is over. The spec drops an event without its closing blank line; it is dispatched instead, so
   * that a server that closes right after {@code data: [DONE]} is understood.
   */
  void finish() {
    if (stopped) {
      return;
    }
    if (line.size() > 0) {
      endLine();
    }
    dispatch();
  }

  /** Ignores everything after this call (the consumer saw what it needed, or gave up). */
  void stop() {
    stopped = true;
  }

  private void endLine() {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.startsWith(":")) {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    if (!"data".equals(field)) {
      return;
    }
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (data == null) {
      data = new StringBuilder(value);
    } else {
      data.append('\n').append(value);
    }
  }

  private void dispatch() {
    if (data != null && !stopped) {
      String event = data.toString();
      data = null;
      onData.accept(event);
    }
  }
}
