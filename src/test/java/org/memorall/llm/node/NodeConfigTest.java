package org.memorall.llm.node;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration file, then environment variables or system properties of the same names. */
class NodeConfigTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void clear() throws Exception {
    System.clearProperty("CONFIG_FILE");
    System.clearProperty("HTTP_PORT");
    System.clearProperty("HTTP_HOST");
    System.clearProperty("MODELS_DIR");
    System.clearProperty(NodeConfig.EVENT_LOOPS_ENV);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void withoutAFileTheDefaultsApply(@TempDir Path dir) throws Exception {
    System.setProperty("CONFIG_FILE", dir.resolve("absent.json").toString());
    NodeConfig config = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals("127.0.0.1", config.httpHost());
    assertEquals(8080, config.httpPort());
    assertEquals(Path.of(System.getProperty("user.home"), ".cache", "llm-runtime", "models"), config.modelsDir());
    assertEquals("default", config.registry().defaultName());
    assertEquals("llamacpp", config.registry().defaultType());
    assertEquals(1, config.eventLoops());
    assertEquals(1, config.vertxOptions().getEventLoopPoolSize());
  }

  @Test
  void eventLoopsComeFromTheFileOrTheEnvironmentAndABadValueIsNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, new JsonObject().put("eventLoops", 3).encode());
    System.setProperty("CONFIG_FILE", file.toString());
    assertEquals(3, NodeConfig.load(vertx).await(10, TimeUnit.SECONDS).vertxOptions().getEventLoopPoolSize());
    System.setProperty(NodeConfig.EVENT_LOOPS_ENV, "2");
    assertEquals(2, NodeConfig.load(vertx).await(10, TimeUnit.SECONDS).eventLoops());
    for (Object bad : new Object[] {0, -1, "many", 1.5}) {
      NodeConfig config = new NodeConfig(new JsonObject().put("eventLoops", bad));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, config::eventLoops);
      assertTrue(e.getMessage().contains("eventLoops") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
    }
  }

  @Test
  void theFileIsReadAndOverridden(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, new JsonObject()
      .put("http", new JsonObject().put("port", 9999).put("host", "0.0.0.0"))
      .put("modelsDir", "/srv/models")
      .put("llms", new JsonObject().put("default", new JsonObject().put("type", "wllama")
        .put("config", new JsonObject().put("parallel", 3))))
      .encode());
    System.setProperty("CONFIG_FILE", file.toString());
    NodeConfig fromFile = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals(9999, fromFile.httpPort());
    assertEquals("0.0.0.0", fromFile.httpHost());
    assertEquals(Path.of("/srv/models"), fromFile.modelsDir());
    assertEquals("wllama", fromFile.registry().defaultType());
    assertEquals(3, fromFile.registry().defaultConfig().getInteger("parallel"));

    System.setProperty("HTTP_PORT", "7777");
    System.setProperty("HTTP_HOST", "127.0.0.2");
    System.setProperty("MODELS_DIR", dir.toString());
    NodeConfig overridden = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals(7777, overridden.httpPort());
    assertEquals("127.0.0.2", overridden.httpHost());
    assertEquals(dir, overridden.modelsDir());
  }

  @Test
  void theShippedConfigurationDeclaresTheDefaultLlm() throws Exception {
    System.setProperty("CONFIG_FILE", "conf/config.json");
    NodeConfig config = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals(8080, config.httpPort());
    assertEquals("llamacpp", config.registry().defaultType());
  }
}
