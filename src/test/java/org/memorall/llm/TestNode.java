package org.memorall.llm;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.node.Node;
import org.memorall.llm.node.NodeConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A full node for tests: registry, gateway on 127.0.0.1 at a port chosen at run time, models in a temporary
 * directory removed when the JVM exits.
 */
public final class TestNode {

  private TestNode() {
  }

  /** One LLM "default": the local llama.cpp provider with its bundled model and two slots. */
  public static JsonObject defaultLlms() {
    return new JsonObject().put("default", new JsonObject()
      .put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 2)));
  }

  /** A node configuration with {@code llms}; change it further before {@link #deploy(Vertx, JsonObject)}. */
  public static JsonObject config(JsonObject llms) {
    return new JsonObject()
      .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
      .put("modelsDir", tempDir().toString())
      .put("llms", llms);
  }

  /** Deploys a node with {@code llms}; the future holds the gateway's port. */
  public static Future<Integer> start(Vertx vertx, JsonObject llms) {
    return deploy(vertx, config(llms));
  }

  public static Future<Integer> deploy(Vertx vertx, JsonObject config) {
    return Node.deploy(vertx, new NodeConfig(config)).map(Node::httpPort);
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("llm-test-models");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: it is a temporary directory.
    }
  }
}
