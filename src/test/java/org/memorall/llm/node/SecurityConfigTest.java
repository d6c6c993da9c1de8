package org.memorall.llm.node;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The security settings: their defaults (open, no CORS), LLM_API_KEYS as the loader reads it, bad values refused. */
class SecurityConfigTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void clear() throws Exception {
    System.clearProperty("CONFIG_FILE");
    System.clearProperty(NodeConfig.API_KEYS_ENV);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theShippedConfigurationIsOpenWithDefaultLimits() throws Exception {
    System.setProperty("CONFIG_FILE", "conf/config.json");
    NodeConfig config = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals("127.0.0.1", config.httpHost());
    assertEquals(List.of(), config.apiKeys());
    assertEquals(List.of(), config.adminKeys());
    assertEquals(List.of(), config.corsAllowedOrigins());
    assertEquals(1024, config.maxMessages());
    assertEquals(1_000_000, config.maxChars());
    assertEquals(0, config.requestsPerMinute());
  }

  @Test
  void apiKeysComeFromTheEnvironmentToo(@TempDir Path dir) throws Exception {
    System.setProperty("CONFIG_FILE", dir.resolve("absent.json").toString());
    // A key made of digits would be read as a number by the config loader: it stays a key.
    System.setProperty(NodeConfig.API_KEYS_ENV, "sk-one, 12345 ,,");
    NodeConfig config = NodeConfig.load(vertx).await(10, TimeUnit.SECONDS);
    assertEquals(List.of("sk-one", "12345"), config.apiKeys());
    System.setProperty(NodeConfig.API_KEYS_ENV, "987654");
    assertEquals(List.of("987654"), NodeConfig.load(vertx).await(10, TimeUnit.SECONDS).apiKeys());
  }

  @Test
  void badValuesAreRefusedWithoutShowingKeys(@TempDir Path dir) {
    NodeConfig notAList = new NodeConfig(new JsonObject().put("auth", new JsonObject().put("apiKeys", "sk-secret-x")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, notAList::apiKeys);
    assertTrue(e.getMessage().contains("auth.apiKeys"), e.getMessage());
    assertFalse(e.getMessage().contains("sk-secret-x"), e.getMessage());
    NodeConfig noFile = new NodeConfig(new JsonObject().put("auth", new JsonObject()
      .put("adminKeysFile", dir.resolve("missing.txt").toString())));
    assertTrue(assertThrows(IllegalArgumentException.class, noFile::adminKeys).getMessage().contains("adminKeysFile"));
    NodeConfig limits = new NodeConfig(new JsonObject().put("limits", new JsonObject()
      .put("maxMessages", 0).put("maxChars", "many").put("requestsPerMinute", -1)));
    assertThrows(IllegalArgumentException.class, limits::maxMessages);
    assertThrows(IllegalArgumentException.class, limits::maxChars);
    assertThrows(IllegalArgumentException.class, limits::requestsPerMinute);
    NodeConfig cors = new NodeConfig(new JsonObject().put("cors", new JsonObject()
      .put("allowedOrigins", new JsonArray().add(1))));
    assertThrows(IllegalArgumentException.class, cors::corsAllowedOrigins);
    assertEquals(List.of("*"), new NodeConfig(new JsonObject().put("cors", new JsonObject().put("allowedOrigins", "*")))
      .corsAllowedOrigins());
  }
}
