package org.memorall.llm.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.RequestTimeouts;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The registry's own settings of one LLM, read from its config and not passed to the provider: retries with
 * exponential backoff, fallbacks, mid-stream continuation and queue bounds.
 *
 * <pre>{@code
 * "fallbacks": ["backup", "default"],          // tried in order when this LLM fails, is missing or not ready
 * "resumeOnFallback": true,                    // a stream that breaks after tokens were sent continues on a fallback
 * "retry": {"maxAttempts": 3, "initialDelayMs": 500, "maxDelayMs": 8000, "deadlineMs": 60000},
 * "maxQueue": 64, "queueTimeoutMs": 120000,    // default: the node's queue settings
 * "requestTimeoutMs": 600000,                  // the whole request, time queued included, then 504
 * "firstTokenTimeoutMs": 300000,               // from arrival to the first streamed token, then 504
 * "maxTokensCap": 1024                         // max_tokens asked above it (or not at all) becomes it
 * }</pre>
 * The time limits are generous because they must hold for slow hardware: ten minutes is a few thousand tokens
 * from a large model on CPU, and five minutes to the first token covers a full queue wait (2 min by default) plus
 * loading a big model on first use and reading a long prompt. A request may shorten them with headers
 * ({@link org.memorall.llm.api.RequestTimeouts}).
 */
final class RoutingPolicy {

  static final Set<String> KEYS = Set.of("fallbacks", "resumeOnFallback", "retry", "maxQueue", "queueTimeoutMs",
    "requestTimeoutMs", "firstTokenTimeoutMs", "maxTokensCap");
  private static final Set<String> RETRY_KEYS = Set.of("maxAttempts", "initialDelayMs", "maxDelayMs", "deadlineMs");

  final List<String> fallbacks;
  final boolean resumeOnFallback;
  final int maxAttempts;
  final long initialDelayMs;
  final long maxDelayMs;
  final long deadlineMs;
  final int maxQueue;
  final long queueTimeoutMs;
  final long requestTimeoutMs;
  final long firstTokenTimeoutMs;
  /** The most tokens one completion of this LLM may generate; 0: no cap. */
  final int maxTokensCap;

  /** Reads the policy; throws IllegalArgumentException naming a bad key. */
  RoutingPolicy(JsonObject config, RegistryConfig defaults) {
    fallbacks = new ArrayList<>();
    Object list = config.getValue("fallbacks");
    if (list != null) {
      if (!(list instanceof JsonArray)) {
        throw new IllegalArgumentException("'fallbacks' must be an array of LLM names");
      }
      for (Object name : (JsonArray) list) {
        if (!(name instanceof String)) {
          throw new IllegalArgumentException("'fallbacks' must be an array of LLM names");
        }
        fallbacks.add((String) name);
      }
    }
    Object resume = config.getValue("resumeOnFallback", true);
    if (!(resume instanceof Boolean)) {
      throw new IllegalArgumentException("'resumeOnFallback' must be a boolean");
    }
    resumeOnFallback = (Boolean) resume;
    Object retryValue = config.getValue("retry", new JsonObject());
    if (!(retryValue instanceof JsonObject)) {
      throw new IllegalArgumentException("'retry' must be an object");
    }
    JsonObject retry = (JsonObject) retryValue;
    ConfigKeys.refuseUnknown(retry.fieldNames(), RETRY_KEYS, "retry.", "");
    maxAttempts = (int) number(retry, "retry.maxAttempts", "maxAttempts", 3, 1, 20);
    initialDelayMs = number(retry, "retry.initialDelayMs", "initialDelayMs", 500, 0, 600_000);
    maxDelayMs = number(retry, "retry.maxDelayMs", "maxDelayMs", 8000, 0, 600_000);
    deadlineMs = number(retry, "retry.deadlineMs", "deadlineMs", 60_000, 0, 3_600_000);
    maxQueue = (int) number(config, "maxQueue", "maxQueue", defaults.maxQueue(), 0, 1_000_000);
    queueTimeoutMs = number(config, "queueTimeoutMs", "queueTimeoutMs", defaults.queueTimeoutMs(), 1, 86_400_000);
    requestTimeoutMs = number(config, "requestTimeoutMs", "requestTimeoutMs", 600_000, 1, RequestTimeouts.MAX_MS);
    firstTokenTimeoutMs = number(config, "firstTokenTimeoutMs", "firstTokenTimeoutMs", 300_000, 1,
      RequestTimeouts.MAX_MS);
    maxTokensCap = (int) number(config, "maxTokensCap", "maxTokensCap", 0, 1, 1_000_000);
  }

  /** The config without the registry's keys: what the provider gets. */
  static JsonObject providerConfig(JsonObject config) {
    JsonObject copy = config.copy();
    KEYS.forEach(copy::remove);
    return copy;
  }

  /**
   * {@code body} with its completion length held to {@link #maxTokensCap}: a request asking more is clamped rather
   * than refused (it still gets an answer, ending with finish_reason "length"), and one asking nothing gets the cap,
   * since an upstream's own default may be the model's whole context. Returns {@code body} itself when unchanged.
   */
  JsonObject capMaxTokens(JsonObject body) {
    if (maxTokensCap == 0) {
      return body;
    }
    JsonObject capped = null;
    boolean asked = false;
    for (String key : new String[]{"max_tokens", "max_completion_tokens"}) {
      Object v = body.getValue(key);
      if (v instanceof Number) {
        asked = true;
        if (((Number) v).longValue() > maxTokensCap) {
          capped = (capped == null ? body.copy() : capped).put(key, maxTokensCap);
        }
      }
    }
    return asked ? (capped == null ? body : capped) : body.copy().put("max_tokens", maxTokensCap);
  }

  /**
   * Full-jitter exponential backoff before retry number {@code retry} (1 for the first retry), but never less
   * than what the failed party asked for with Retry-After.
   */
  long backoffMs(int retry, long retryAfterMs) {
    long cap = Math.min(maxDelayMs, initialDelayMs << Math.min(retry - 1, 20));
    long jittered = cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1);
    return Math.max(1, Math.max(jittered, retryAfterMs)); // Vert.x timers take at least 1 ms
  }

  private static long number(JsonObject json, String path, String key, long fallback, long min, long max) {
    Object v = json.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw new IllegalArgumentException("'" + path + "' must be an integer from " + min + " to " + max);
    }
    return ((Number) v).longValue();
  }
}
