package org.memorall.llm.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.memorall.llm.api.NodeCommand;
import org.memorall.llm.metrics.Metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** Starts a node: {@code java -jar llm-runtime.jar}. */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    configureLogging();
    Logger log = Logger.getLogger(Main.class.getName());
    Vertx vertx = Metrics.vertx(); // Vert.x's own metrics in the registry that /metrics shows
    NodeCommand command = args.length == 0 ? null : command(args[0]);
    if (command != null) {
      Path modelsDir = NodeConfig.load(vertx).await(30, TimeUnit.SECONDS).modelsDir();
      vertx.close();
      System.exit(command.run(Arrays.copyOfRange(args, 1, args.length), modelsDir));
    }
    AtomicReference<Node> started = new AtomicReference<>();
    AtomicLong graceMs = new AtomicLong();
    // SIGTERM, Ctrl-C: stop accepting, let the streams in flight finish within the grace period, end the rest
    // with an error, then close Vert.x. The JVM waits for this thread.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Node node = started.get();
      try {
        Future<Void> drained = node == null ? Future.succeededFuture() : node.shutdown(graceMs.get());
        drained.eventually(vertx::close).await(graceMs.get() + 30_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Shutting down anyway.
      }
    }, "llm-shutdown"));
    NodeConfig.load(vertx)
      .compose(config -> Node.deploy(vertx, config).map(node -> {
        graceMs.set(config.shutdownGraceMs());
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
