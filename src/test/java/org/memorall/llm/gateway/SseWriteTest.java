package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSE on the wire, read from a bare socket: the events a provider writes at once travel as one batch and leave the
 * gateway in one HTTP chunk, [DONE] included, still one {@code data:} event per chunk.
 */
@ExtendWith(VertxExtension.class)
class SseWriteTest {

  @Test
  void theEventsOfOneBatchLeaveInOneWrite(Vertx vertx) throws Exception {
    int port = TestNode.start(vertx, new JsonObject().put("burst", new JsonObject().put("type", "custom")
      .put("config", new JsonObject().put("class", DyingProvider.class.getName())))).await(60, TimeUnit.SECONDS);
    String body = Http.chat("hi", 4).put("model", "burst").put("stream", true).encode();
    String raw;
    try (RawHttp http = RawHttp.post(port, "/v1/chat/completions", body)) {
      raw = http.readUntil("\r\n0\r\n\r\n", 1); // the last chunk of a chunked response
    }
    assertTrue(raw.startsWith("HTTP/1.1 200"), raw);
    assertTrue(raw.toLowerCase().contains("transfer-encoding: chunked"), raw);
    List<String> chunks = chunks(raw.substring(raw.indexOf("\r\n\r\n") + 4));
    assertEquals(1, chunks.size(), "one write for the whole batch: " + chunks);

    String[] events = chunks.get(0).split("\n\n");
    assertEquals(5, events.length, chunks.get(0)); // role, "o", "k", finish_reason, [DONE]
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      assertTrue(events[i].startsWith("data: "), events[i]);
      JsonObject chunk = new JsonObject(events[i].substring("data: ".length()));
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      text.append(chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content", ""));
    }
    assertEquals(DyingProvider.ANSWER, text.toString());
    assertEquals("data: [DONE]", events[4]);
    assertTrue(chunks.get(0).endsWith("\n\n"), chunks.get(0));
  }

  /** The data of each non-empty chunk of a chunked HTTP body. */
  private static List<String> chunks(String body) {
    List<String> chunks = new ArrayList<>();
    int at = 0;
    while (true) {
      int lineEnd = body.indexOf("\r\n", at);
      int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
      if (size == 0) {
        return chunks;
      }
      // The events are ASCII here, so characters are bytes.
      chunks.add(body.substring(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
}
