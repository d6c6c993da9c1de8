package org.memorall.llm.openai;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SseParserTest {

  private static List<String> parse(int pieceSize, String text) {
    List<String> events = new ArrayList<>();
    SseParser parser = new SseParser(events::add);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += pieceSize) {
      parser.feed(Buffer.buffer(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + pieceSize))));
    }
    parser.finish();
    return events;
  }

  @Test
  void everySplitGivesTheSameEvents() {
    String text = ": comment\n\ndata: {\"a\":\"é☕\"}\n\nevent: x\r\nid: 7\r\ndata:{\"b\":1}\r\n\r\ndata: line1\rdata: line2\r\rretry: 10\n\ndata: [DONE]\n\n";
    List<String> expected = List.of("{\"a\":\"é☕\"}", "{\"b\":1}", "line1\nline2", "[DONE]");
    for (int size = 1; size <= text.length() + 1; size++) {
      assertEquals(expected, parse(size, text), "pieces of " + size + " bytes");
    }
  }

  @Test
  void aLastEventWithoutItsBlankLineIsStillDelivered() {
    assertEquals(List.of("x", "[DONE]"), parse(4, "data: x\n\ndata: [DONE]"));
    assertEquals(List.of("[DONE]"), parse(100, "data: [DONE]\n"));
  }

  @Test
  void fieldsWithoutDataAreIgnored() {
    assertEquals(List.of(), parse(3, "event: ping\n\n: only a comment\n\nid: 3\n\n"));
    assertEquals(List.of(""), parse(3, "data\n\n"), "a 'data' line without a colon is an empty data line");
  }

  @Test
  void stopIgnoresTheRest() {
    List<String> events = new ArrayList<>();
    SseParser parser = new SseParser(e -> {
      events.add(e);
      if (e.equals("stop")) {
        throw new IllegalStateException("unreachable");
      }
    });
    parser.feed(Buffer.buffer("data: a\n\n"));
    parser.stop();
    parser.feed(Buffer.buffer("data: stop\n\n"));
    parser.finish();
    assertEquals(List.of("a"), events);
  }
}
