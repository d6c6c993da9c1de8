package org.memorall.llm.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * The Prometheus registry of a Vert.x instance. {@link #vertx()} creates a Vert.x whose own metrics (HTTP server,
 * event bus, pools, JVM) go to a new registry; the registry and gateway add theirs to the same one. A Vert.x created
 * otherwise (tests, an application embedding the runtime) gets a registry of its own on first use, without the
 * Vert.x metrics, so {@code /metrics} always works. One registry per Vert.x instance, so that several nodes in one
 * JVM (the tests) never mix their numbers.
 */
public final class Metrics {

  private static final Map<Vertx, PrometheusMeterRegistry> REGISTRIES = new WeakHashMap<>();

  private Metrics() {
  }

  /** A Vert.x with its metrics enabled and sent to a new Prometheus registry. */
  public static Vertx vertx() {
    return vertx(new VertxOptions());
  }

  public static Vertx vertx(VertxOptions options) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return remember(builder(options, registry).build(), registry);
  }

  /** A clustered Vert.x (README "Clustering") with its metrics, like {@link #vertx(VertxOptions)}. */
  public static Future<Vertx> clusteredVertx(VertxOptions options, ClusterManager clusterManager) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return builder(options, registry).withClusterManager(clusterManager).buildClustered()
      .map(vertx -> remember(vertx, registry));
  }

  private static VertxBuilder builder(VertxOptions options, PrometheusMeterRegistry registry) {
    return Vertx.builder()
      .with(new VertxOptions(options).setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Not the shared default registry: each Vert.x instance keeps its own.
        .setRegistryName("llm-runtime-" + System.identityHashCode(registry))))
      .withMetrics(new MicrometerMetricsFactory(registry));
  }

  private static Vertx remember(Vertx vertx, PrometheusMeterRegistry registry) {
    synchronized (REGISTRIES) {
      REGISTRIES.put(vertx, registry);
    }
    return vertx;
  }

  /** The registry of {@code vertx}: that of {@link #vertx()}, else one created for it now. */
  public static PrometheusMeterRegistry registry(Vertx vertx) {
    synchronized (REGISTRIES) {
      return REGISTRIES.computeIfAbsent(vertx, v -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
  }
}
