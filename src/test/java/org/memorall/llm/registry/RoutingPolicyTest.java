package org.memorall.llm.registry;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backoff between retries: full jitter under a cap that doubles per retry up to maxDelayMs, never below Retry-After. */
class RoutingPolicyTest {

  private static RoutingPolicy policy(int initialDelayMs, int maxDelayMs) {
    JsonObject config = new JsonObject().put("retry", new JsonObject().put("initialDelayMs", initialDelayMs)
      .put("maxDelayMs", maxDelayMs));
    return new RoutingPolicy(config, new RegistryConfig(new JsonObject(), Path.of("models")));
  }

  /** The largest and smallest of many draws of the delay before retry number {@code retry}. */
  private static long[] range(RoutingPolicy policy, int retry) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 5000; i++) {
      long d = policy.backoffMs(retry, 0);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    return new long[]{min, max};
  }

  @Test
  void theCapDoublesWithEachRetryUpToMaxDelayMs() {
    RoutingPolicy policy = policy(100, 1000);
    long[] caps = {100, 200, 400, 800, 1000, 1000};
    for (int retry = 1; retry <= caps.length; retry++) {
      long[] r = range(policy, retry);
      long cap = caps[retry - 1];
      assertTrue(r[1] <= cap, "retry " + retry + ": at most " + cap + " ms, drew " + r[1]);
      assertTrue(r[1] > cap * 9 / 10, "retry " + retry + ": draws reach near the cap " + cap + ", highest " + r[1]);
      assertTrue(r[0] < cap / 10 + 1, "retry " + retry + ": full jitter, from near zero; lowest " + r[0]);
      assertTrue(r[0] >= 1, "a timer needs at least 1 ms");
    }
  }

  @Test
  void retryAfterIsAFloor() {
    RoutingPolicy policy = policy(100, 1000);
    for (int i = 0; i < 100; i++) {
      assertTrue(policy.backoffMs(1, 5000) >= 5000);
    }
    assertEquals(1, policy(0, 0).backoffMs(3, 0), "no delay configured: the shortest timer");
  }
}
