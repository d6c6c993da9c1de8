package org.memorall.llm.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.memorall.llm.gateway.GatewayVerticle;
import org.memorall.llm.registry.RegistryVerticle;

import java.util.logging.Logger;

/** One node: the registry verticle, then the HTTP gateway verticle. Used by {@link Main} and by the tests. */
public final class Node {

  private static final Logger LOG = Logger.getLogger(Node.class.getName());
  /** Time for the connections to close after the registry ended every stream. */
  private static final long CLOSE_MARGIN_MS = 5000;

  private final Vertx vertx;
  private final RegistryVerticle registry;
  private final GatewayVerticle gateway;

  private Node(Vertx vertx, RegistryVerticle registry, GatewayVerticle gateway) {
    this.vertx = vertx;
    this.registry = registry;
    this.gateway = gateway;
  }

  /** Deploys the registry (creating the configured LLMs) and then the gateway. */
  public static Future<Node> deploy(Vertx vertx, NodeConfig config) {
    RegistryVerticle registry = new RegistryVerticle(config.registry());
    GatewayVerticle gateway = new GatewayVerticle(config);
    return vertx.deployVerticle(registry)
      .compose(id -> vertx.deployVerticle(gateway))
      .map(id -> new Node(vertx, registry, gateway));
  }

  /** The port the gateway listens on (useful when the configuration asked for port 0). */
  public int httpPort() {
    return gateway.actualPort();
  }

  /**
   * Graceful shutdown: the gateway stops accepting at once (new connections are refused, requests on open ones
   * get 503), the requests in flight get {@code graceMs} to finish, the rest end with an error (an HTTP 503, or a
   * final error event once a stream started), then the providers and the node's verticles are undeployed. Vert.x
   * itself stays open (the caller closes it). May be called from any thread; completes when all is done.
   */
  public Future<Void> shutdown(long graceMs) {
    LOG.info(() -> "Shutting down (grace period " + graceMs + " ms)");
    Future<Void> http = gateway.shutdown(graceMs + CLOSE_MARGIN_MS);
    Future<Void> drained = registry.shutdown(graceMs);
    return Future.join(http, drained)
      .transform(ar -> Future.join(vertx.undeploy(gateway.deploymentID()), vertx.undeploy(registry.deploymentID())))
      .<Void>mapEmpty()
      .otherwiseEmpty()
      .onComplete(ar -> LOG.info("Shut down"));
  }
}
