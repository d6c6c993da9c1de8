package org.memorall.llm.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.memorall.llm.gateway.GatewayVerticle;
import org.memorall.llm.registry.RegistryVerticle;

/** One node: the registry verticle, then the HTTP gateway verticle. Used by {@link Main} and by the tests. */
public final class Node {

  private final GatewayVerticle gateway;

  private Node(GatewayVerticle gateway) {
    this.gateway = gateway;
  }

  /** Deploys the registry (creating the configured LLMs) and then the gateway. */
  public static Future<Node> deploy(Vertx vertx, NodeConfig config) {
    GatewayVerticle gateway = new GatewayVerticle(config);
    return vertx.deployVerticle(new RegistryVerticle(config.registry()))
      .compose(id -> vertx.deployVerticle(gateway))
      .map(id -> new Node(gateway));
  }

  /** The port the gateway listens on (useful when the configuration asked for port 0). */
  public int httpPort() {
    return gateway.actualPort();
  }
}
