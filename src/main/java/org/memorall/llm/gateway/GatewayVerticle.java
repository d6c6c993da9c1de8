package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.node.NodeConfig;

/**
 * The OpenAI-compatible HTTP gateway: an HTTP server and its routes, nothing else. It keeps no LLM state; every
 * request becomes a registry call, through {@link LlmClient} streams (chat, serve) or the {@link LlmService}
 * proxy (management).
 */
public final class GatewayVerticle extends VerticleBase {

  private final NodeConfig config;
  private HttpServer server;

  public GatewayVerticle(NodeConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    LlmClient client = LlmClient.create(vertx);
    LlmService service = LlmService.createProxy(vertx);
    ErrorHandler errors = new ErrorHandler(config.maxBodyBytes());

    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    new ChatRoutes(client).mount(router);
    new ModelRoutes(service, client).mount(router);
    new ManagementRoutes(service).mount(router);
    router.route().failureHandler(errors);
    router.errorHandler(404, errors);
    router.errorHandler(405, errors);

    return vertx.createHttpServer().requestHandler(router)
      .listen(config.httpPort(), config.httpHost())
      .onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server.actualPort();
  }
}
