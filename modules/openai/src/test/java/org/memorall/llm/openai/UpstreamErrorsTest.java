package org.memorall.llm.openai;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UpstreamErrorsTest {

  private static long retryAfter(String... headers) {
    MultiMap map = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) {
      map.add(headers[i], headers[i + 1]);
    }
    return UpstreamErrors.retryAfterMs(map, 1_700_000_000_000L);
  }

  @Test
  void retryAfterInEveryForm() {
    assertEquals(-1, retryAfter());
    assertEquals(20_000, retryAfter("Retry-After", "20"));
    assertEquals(0, retryAfter("retry-after", "0"));
    assertEquals(1_500, retryAfter("Retry-After", "1.5"));
    assertEquals(250, retryAfter("retry-after-ms", "250", "Retry-After", "1"), "OpenAI's precise hint wins");
    assertEquals(1_000, retryAfter("retry-after-ms", "soon", "Retry-After", "1"));
    // 1_700_000_000_000 ms is Tue, 14 Nov 2023 22:13:20 GMT.
    assertEquals(10_000, retryAfter("Retry-After", "Tue, 14 Nov 2023 22:13:30 GMT"));
    assertEquals(0, retryAfter("Retry-After", "Tue, 14 Nov 2023 22:00:00 GMT"), "a date in the past: retry now");
    assertEquals(-1, retryAfter("Retry-After", "tomorrow"));
    assertEquals(-1, retryAfter("Retry-After", "-3"));
  }
}
