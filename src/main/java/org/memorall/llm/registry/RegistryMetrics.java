package org.memorall.llm.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the registry knows that the gateway cannot see: each LLM's queue depth, requests in flight and slots
 * (gauges reading its {@link LlmEntry}), how long its models took to load (a provider's start, which includes
 * loading a local model, and a serve's loading phase), and the bytes its serves downloaded. The only label is the LLM's name, which the registry bounds.
 * Called on the registry's context; gauges are read by the scrape on another thread, hence the thread-safe reads
 * in {@link LlmEntry}.
 */
final class RegistryMetrics {

  private final MeterRegistry meters;
  private final Map<LlmEntry, List<Meter>> gauges = new HashMap<>();

  RegistryMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  void track(LlmEntry entry) {
    List<Meter> list = new ArrayList<>();
    list.add(Gauge.builder("llm_queue_depth", entry, LlmEntry::queued)
      .description("Chat completions waiting for a slot").tag("llm", entry.name).register(meters));
    list.add(Gauge.builder("llm_requests_in_flight", entry, LlmEntry::inFlight)
      .description("Chat completions holding a slot").tag("llm", entry.name).register(meters));
    list.add(Gauge.builder("llm_slots", entry, LlmEntry::slots)
      .description("Chat completions the LLM runs at once").tag("llm", entry.name).register(meters));
    gauges.put(entry, list);
  }

  /** The LLM is gone: a new one of the same name gets new gauges (a gauge keeps the object it was built on). */
  void untrack(LlmEntry entry) {
    List<Meter> list = gauges.remove(entry);
    if (list != null) {
      list.forEach(meters::remove);
    }
  }

  void loaded(String llm, long nanos) {
    Timer.builder("llm_model_load")
      .description("Time to load a model: an LLM's provider start (its model included), or a serve's loading")
      .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(60), Duration.ofSeconds(300))
      .tag("llm", llm).register(meters).record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * A watcher of one serve's progress events. It adds what the serve downloads to
   * {@code llm_model_download_bytes_total}: the "downloading" and "verifying" events carry the bytes on disk so
   * far, in one scale across the files of a split model, the first one where the download starts (above 0 when it
   * resumes), so only the growth between two events counts. And it records the time from "loading" to "ready" as
   * a model load.
   */
  Consumer<JsonObject> serveWatcher(String llm) {
    Counter counter = Counter.builder("llm_model_download_bytes")
      .description("Bytes of model files downloaded by serve").baseUnit("bytes").tag("llm", llm).register(meters);
    long[] last = {-1};
    long[] loadingSince = {-1};
    return event -> {
      String phase = event.getString("phase");
      Object bytes = event.getValue("bytes");
      if (("downloading".equals(phase) || "verifying".equals(phase)) && bytes instanceof Number) {
        long now = ((Number) bytes).longValue();
        if (last[0] >= 0 && now > last[0]) {
          counter.increment(now - last[0]);
        }
        last[0] = now;
      } else if ("loading".equals(phase) && loadingSince[0] < 0) {
        loadingSince[0] = System.nanoTime();
      } else if ("ready".equals(phase) && loadingSince[0] >= 0) {
        loaded(llm, System.nanoTime() - loadingSince[0]);
      }
    };
  }
}
