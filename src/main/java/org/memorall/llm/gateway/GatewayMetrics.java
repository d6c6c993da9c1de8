package org.memorall.llm.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway's chat-completion and embeddings metrics. Labels are the LLM that answered (a registry name, or {@code none} when
 * no LLM did: a bad request, an unknown name) and the HTTP status; never anything the client wrote. Tokens per
 * second are {@code rate(llm_tokens_generated_total[1m])}.
 */
final class GatewayMetrics {

  static final String NO_LLM = "none";
  private static final Duration[] LATENCY_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
  /** An embedding of a few texts takes milliseconds on a small model, seconds for a large batch. */
  private static final Duration[] EMBEDDING_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
  private static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

  private final MeterRegistry meters;
  /** The meters already registered, by name and labels: registering again on every request costs a lookup. */
  private final Map<String, Meter> registered = new ConcurrentHashMap<>();

  GatewayMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  /** One chat completion ended with {@code status}; {@code record} has its times and tokens. */
  void chatCompletion(String llm, int status, RequestRecord record) {
    counted("llm_requests", "Chat completion requests by the LLM that answered and status", "llm_request_duration",
      "Chat completion time, from arrival to the last byte", LATENCY_BUCKETS, llm, status, record);
    long firstToken = record.timeToFirstTokenNanos();
    if (firstToken >= 0) {
      meter("llm_time_to_first_token", llm, "", () -> Timer.builder("llm_time_to_first_token")
        .description("Streamed chat completions: arrival to first token").serviceLevelObjectives(FIRST_TOKEN_BUCKETS)
        .tag("llm", llm).register(meters), Timer.class).record(firstToken, TimeUnit.NANOSECONDS);
    }
    int tokens = record.tokens();
    if (tokens > 0) {
      meter("llm_tokens_generated", llm, "", () -> Counter.builder("llm_tokens_generated")
        .description("Completion tokens generated").tag("llm", llm).register(meters), Counter.class).increment(tokens);
    }
  }

  /** One embeddings request ended with {@code status}. */
  void embeddings(String llm, int status, RequestRecord record) {
    counted("llm_embedding_requests", "Embeddings requests by the LLM that answered and status",
      "llm_embedding_duration", "Embeddings time, from arrival to the last byte", EMBEDDING_BUCKETS, llm, status,
      record);
  }

  /** Counts a request in {@code counter} and records its time in {@code timer}, by LLM and status. */
  private void counted(String counter, String counterHelp, String timer, String timerHelp, Duration[] buckets,
                       String llm, int status, RequestRecord record) {
    String code = String.valueOf(status);
    meter(counter, llm, code, () -> Counter.builder(counter).description(counterHelp).tags("llm", llm, "status", code)
      .register(meters), Counter.class).increment();
    meter(timer, llm, code, () -> Timer.builder(timer).description(timerHelp).serviceLevelObjectives(buckets)
      .tags("llm", llm, "status", code).register(meters), Timer.class)
      .record(System.nanoTime() - record.startNanos, TimeUnit.NANOSECONDS);
  }

  private <M extends Meter> M meter(String name, String llm, String status, Supplier<M> register, Class<M> type) {
    return type.cast(registered.computeIfAbsent(name + '\0' + llm + '\0' + status, key -> register.get()));
  }

  private static Duration[] seconds(double... values) {
    Duration[] durations = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      durations[i] = Duration.ofNanos((long) (values[i] * 1e9));
    }
    return durations;
  }
}
