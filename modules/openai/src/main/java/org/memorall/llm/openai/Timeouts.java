package org.memorall.llm.openai;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/** The four clocks of one upstream call, in milliseconds (config key {@code timeouts}). */
final class Timeouts {

  static final long DEFAULT_CONNECT_MS = 10_000;
  static final long DEFAULT_FIRST_TOKEN_MS = 60_000;
  static final long DEFAULT_IDLE_MS = 60_000;
  static final long DEFAULT_TOTAL_MS = 600_000;
  private static final Set<String> KEYS = Set.of("connectMs", "firstTokenMs", "idleMs", "totalMs");
  /** Vert.x takes connect timeouts as an int. */
  private static final long MAX_MS = Integer.MAX_VALUE;

  /** TCP (and TLS) connection, including the wait for a pooled connection. */
  final long connectMs;
  /** From sending until the first chunk of a stream, or the answer's head for a model listing. */
  final long firstTokenMs;
  /** Between two pieces of an answer once it has begun. */
  final long idleMs;
  /** The whole call, connection included. */
  final long totalMs;

  Timeouts(long connectMs, long firstTokenMs, long idleMs, long totalMs) {
    this.connectMs = connectMs;
    this.firstTokenMs = firstTokenMs;
    this.idleMs = idleMs;
    this.totalMs = totalMs;
  }

  /** Throws IllegalArgumentException naming the bad key; unknown keys are refused because they are likely typos. */
  static Timeouts parse(Object value) {
    if (value == null) {
      return new Timeouts(DEFAULT_CONNECT_MS, DEFAULT_FIRST_TOKEN_MS, DEFAULT_IDLE_MS, DEFAULT_TOTAL_MS);
    }
    if (!(value instanceof JsonObject)) {
      throw new IllegalArgumentException("'timeouts' must be an object with connectMs, firstTokenMs, idleMs, totalMs");
    }
    JsonObject t = (JsonObject) value;
    for (String key : t.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("'timeouts." + key + "' is not a setting; expected connectMs, firstTokenMs, idleMs or totalMs");
      }
    }
    return new Timeouts(ms(t, "connectMs", DEFAULT_CONNECT_MS), ms(t, "firstTokenMs", DEFAULT_FIRST_TOKEN_MS),
      ms(t, "idleMs", DEFAULT_IDLE_MS), ms(t, "totalMs", DEFAULT_TOTAL_MS));
  }

  private static long ms(JsonObject t, String key, long def) {
    Object v = t.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 1 || ((Number) v).longValue() > MAX_MS) {
      throw new IllegalArgumentException("'timeouts." + key + "' must be a positive integer of milliseconds (at most " + MAX_MS + ")");
    }
    return ((Number) v).longValue();
  }
}
