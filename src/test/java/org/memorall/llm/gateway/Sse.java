package org.memorall.llm.gateway;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks an SSE body exactly: {@code data: <json>\n\n} events, then {@code data: [DONE]\n\n} as the last bytes. */
final class Sse {

  static final String DONE = "data: [DONE]\n\n";

  private Sse() {
  }

  /** The JSON events of a stream that ended with [DONE]. */
  static List<JsonObject> events(String body) {
    assertTrue(body.endsWith(DONE), () -> "must end with [DONE]: " + tail(body));
    return parse(body.substring(0, body.length() - DONE.length()));
  }

  /** The JSON events of {@code body}, which must consist of nothing but well-framed events. */
  static List<JsonObject> parse(String body) {
    List<JsonObject> events = new ArrayList<>();
    int at = 0;
    while (at < body.length()) {
      assertTrue(body.startsWith("data: ", at), () -> "event must start with 'data: ' at " + tail(body));
      int end = body.indexOf("\n\n", at);
      assertTrue(end > 0, () -> "event must end with a blank line: " + tail(body));
      String json = body.substring(at + "data: ".length(), end);
      assertFalse(json.contains("\n"), json);
      assertFalse(json.equals("[DONE]"), "[DONE] must be the last event");
      events.add(new JsonObject(json));
      at = end + 2;
    }
    return events;
  }

  private static String tail(String body) {
    return body.length() > 300 ? "..." + body.substring(body.length() - 300) : body;
  }
}
