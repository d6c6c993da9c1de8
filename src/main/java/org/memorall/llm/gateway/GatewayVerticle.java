package org.memorall.llm.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.metrics.Metrics;
import org.memorall.llm.node.NodeConfig;

import java.util.concurrent.TimeUnit;

/**
 * The OpenAI-compatible HTTP gateway: an HTTP server and its routes, nothing else. It keeps no LLM state; every
 * request becomes a registry call, through {@link LlmClient} streams (chat, serve) or the {@link LlmService}
 * proxy (management).
 */
public final class GatewayVerticle extends VerticleBase {

  private final NodeConfig config;
  private HttpServer server;
  private volatile boolean closing;

  public GatewayVerticle(NodeConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    LlmClient client = LlmClient.create(vertx);
    LlmService service = LlmService.createProxy(vertx);
    ErrorHandler errors = new ErrorHandler(config.maxBodyBytes());

    Router router = Router.router(vertx);
    PrometheusMeterRegistry meters = Metrics.registry(vertx);
    router.route().handler(new RequestObserver(new GatewayMetrics(meters))); // first: sees every request end
    router.route().handler(ctx -> {
      if (closing) {
        // A request on a connection opened before the shutdown began.
        ctx.response().putHeader("Connection", "close");
        ctx.fail(LlmErrors.of(503, "server_error", null, "shutting_down", "The server is shutting down"));
      } else {
        ctx.next();
      }
    });
    new Security(config).mount(router); // keys, rate limit, CORS: before any body is read
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    new ChatRoutes(client, new RequestLimits(config.maxMessages(), config.maxChars())).mount(router);
    new EmbeddingRoutes(service, config.maxChars()).mount(router);
    new ModelRoutes(service, client).mount(router);
    new ManagementRoutes(service).mount(router);
    new MetricsRoutes(vertx, meters).mount(router);
    new HealthRoutes(LlmService.createProxyWithOptions(vertx, new DeliveryOptions().setSendTimeout(3000)),
      config.registry().defaultName()).mount(router);
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json") // this API
      .sendFile("openapi.json"));
    new PlaygroundRoutes().mount(router);
    router.route().failureHandler(errors);
    router.errorHandler(400, errors.forStatus(400)); // e.g. a path with an invalid %-escape
    router.errorHandler(404, errors);
    router.errorHandler(405, errors);

    return vertx.createHttpServer().requestHandler(router)
      .listen(config.httpPort(), config.httpHost())
      .onSuccess(s -> server = s);
  }

  /**
   * Stops accepting connections and requests (503) at once; the requests in flight go on, and their connections
   * close when they end or after {@code timeoutMs}. May be called from any thread.
   */
  public Future<Void> shutdown(long timeoutMs) {
    closing = true;
    return server.shutdown(timeoutMs, TimeUnit.MILLISECONDS);
  }

  public int actualPort() {
    return server.actualPort();
  }
}
