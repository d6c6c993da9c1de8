package org.memorall.llm.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import org.memorall.llm.api.NodeCommand;
import org.memorall.llm.metrics.Metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** Starts a node: {@code java -jar llm-runtime.jar}. */
public final class Main {

  /** {@code ./run.sh --cluster}: join the cluster (README "Clustering"). */
  static final String CLUSTER_FLAG = "--cluster";

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.manager") == null) {
      // Before anything logs: keeps logging alive while the shutdown hook below drains the node.
      System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
    }
    configureLogging();
    Logger log = Logger.getLogger(Main.class.getName());
    boolean clusterFlag = args.length > 0 && CLUSTER_FLAG.equals(args[0]);
    if (clusterFlag) {
      args = Arrays.copyOfRange(args, 1, args.length);
    }
    NodeCommand command = args.length == 0 ? null : command(args[0]);
    Vertx boot = Vertx.vertx(); // reads the configuration, which says whether Vert.x is clustered
    NodeConfig loaded;
    try {
      loaded = NodeConfig.load(boot).await(30, TimeUnit.SECONDS);
      loaded.eventLoops(); // a bad value stops the node here, with the reason
    } catch (Exception e) {
      log.severe("The configuration cannot be read: " + e.getMessage());
      System.exit(1);
      return;
    } finally {
      boot.close();
    }
    if (command != null) {
      System.exit(command.run(Arrays.copyOfRange(args, 1, args.length), loaded.modelsDir()));
    }
    Vertx vertx = startVertx(loaded, clusterFlag, log);
    AtomicReference<Node> started = new AtomicReference<>();
    AtomicLong graceMs = new AtomicLong();
    // SIGTERM, Ctrl-C: stop accepting, let the streams in flight finish within the grace period, end the rest
    // with an error, then close Vert.x. The JVM waits for this thread.
    CountDownLatch hookDone = new CountDownLatch(1);
    NodeLogManager.holdResetUntil(hookDone, NodeConfig.DEFAULT_SHUTDOWN_GRACE_MS + 35_000);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Node node = started.get();
      try {
        Future<Void> drained = node == null ? Future.succeededFuture() : node.shutdown(graceMs.get());
        drained.eventually(vertx::close).await(graceMs.get() + 30_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Shutting down anyway.
      } finally {
        hookDone.countDown(); // now logging may close (see NodeLogManager)
      }
    }, "llm-shutdown"));
    Future.succeededFuture(loaded)
      .compose(config -> Node.deploy(vertx, config).map(node -> {
        graceMs.set(config.shutdownGraceMs());
        NodeLogManager.holdResetUntil(hookDone, config.shutdownGraceMs() + 35_000);
        started.set(node);
        String url = "http://" + config.httpHost() + ":" + node.httpPort();
        log.info("LLM runtime listening on " + url + " (OpenAI base URL " + url + "/v1, models in " + config.modelsDir() + ")");
        System.out.println("Listening on " + url + "  (try: curl " + url + "/v1/models)");
        return node;
      }))
      .onFailure(e -> {
        log.severe("The node failed to start: " + e.getMessage());
        System.exit(1);
      });
  }

  /**
   * Vert.x with its own metrics in the registry that /metrics shows; clustered over Hazelcast when asked
   * ({@code --cluster}, {@code LLM_CLUSTER=true} or {@code cluster.enabled}).
   */
  private static Vertx startVertx(NodeConfig config, boolean clusterFlag, Logger log) throws Exception {
    ClusterSettings cluster = config.cluster();
    if (!clusterFlag && !cluster.enabled()) {
      return Metrics.vertx(config.vertxOptions());
    }
    System.setProperty("hazelcast.phone.home.enabled", "false");
    System.setProperty("hazelcast.logging.type", "jdk");
    try {
      VertxOptions options = config.vertxOptions();
      options.getEventBusOptions().setHost(cluster.eventBusHost()).setPort(cluster.eventBusPort());
      Vertx vertx = Metrics.clusteredVertx(options, new HazelcastClusterManager(cluster.hazelcast()))
        .await(120, TimeUnit.SECONDS);
      log.info("Joined the cluster as node " + ((VertxInternal) vertx).clusterManager().getNodeId());
      return vertx;
    } catch (Exception e) {
      log.severe("The node could not join the cluster: " + e.getMessage());
      System.exit(1);
      throw e;
    }
  }

  /** The module command named {@code name} ({@code ./run.sh pull ...}), or null to start a node. */
  private static NodeCommand command(String name) {
    for (NodeCommand c : ServiceLoader.load(NodeCommand.class)) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }

  /** Uses conf/logging.properties unless java.util.logging was configured on the command line. */
  private static void configureLogging() throws IOException {
    Path file = Paths.get("conf", "logging.properties");
    if (System.getProperty("java.util.logging.config.file") == null && Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        LogManager.getLogManager().readConfiguration(in);
      }
    }
  }
}
