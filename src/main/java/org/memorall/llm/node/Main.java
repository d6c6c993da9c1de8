package org.memorall.llm.node;

import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** Starts a node: {@code java -jar llm-runtime.jar}. */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    configureLogging();
    Logger log = Logger.getLogger(Main.class.getName());
    Vertx vertx = Vertx.vertx();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Shutting down anyway.
      }
    }, "llm-shutdown"));
    NodeConfig.load(vertx)
      .compose(config -> Node.deploy(vertx, config).map(node -> {
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
