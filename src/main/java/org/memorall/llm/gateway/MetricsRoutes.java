package org.memorall.llm.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** {@code GET /metrics}: the node's Prometheus registry in the text exposition format. */
final class MetricsRoutes {

  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;

  MetricsRoutes(Vertx vertx, PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.registry = registry;
  }

  void mount(Router router) {
    router.get("/metrics").handler(ctx -> vertx
      // Formatting every meter (JVM ones included) takes a few milliseconds: not on the event loop.
      .executeBlocking(registry::scrape, false)
      .onSuccess(text -> ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(text))
      .onFailure(ctx::fail));
  }
}
