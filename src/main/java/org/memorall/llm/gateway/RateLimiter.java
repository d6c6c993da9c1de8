package org.memorall.llm.gateway;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per client (an API key's id, or an address): it holds up to {@code requestsPerMinute} requests,
 * so a quiet client may send a burst of that many, and refills at {@code requestsPerMinute} a minute. Used on the
 * gateway's event loop only, so it needs no locking.
 */
final class RateLimiter {

  /** Above this many clients, the full buckets (clients quiet for a minute) are dropped: they hold nothing. */
  private static final int SWEEP_ABOVE = 10_000;

  private final double capacity;
  private final double tokensPerNano;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new HashMap<>();

  RateLimiter(int requestsPerMinute, LongSupplier nanoTime) {
    this.capacity = requestsPerMinute;
    this.tokensPerNano = requestsPerMinute / 60e9;
    this.nanoTime = nanoTime;
  }

  /** Takes a token for {@code client}: 0 when the request may go, else the milliseconds until the next token. */
  long acquire(String client) {
    long now = nanoTime.getAsLong();
    if (buckets.size() > SWEEP_ABOVE) {
      buckets.values().removeIf(b -> b.tokensAt(now) >= capacity);
    }
    Bucket bucket = buckets.computeIfAbsent(client, c -> new Bucket(now));
    double tokens = bucket.tokensAt(now);
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      bucket.at = now;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / tokensPerNano / 1e6));
  }

  private final class Bucket {
    double tokens = capacity;
    long at;

    Bucket(long at) {
      this.at = at;
    }

    double tokensAt(long now) {
      return Math.min(capacity, tokens + (now - at) * tokensPerNano);
    }
  }
}
