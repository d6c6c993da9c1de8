package org.memorall.llm.node;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.registry.RegistryConfig;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Every setting of a node, read in one place: {@code conf/config.json} (or {@code CONFIG_FILE}), then
 * environment variables, then system properties of the same names ({@code HTTP_PORT}, {@code HTTP_HOST},
 * {@code MODELS_DIR}).
 */
public final class NodeConfig {

  private final JsonObject json;

  public NodeConfig(JsonObject json) {
    this.json = json;
  }

  /** Reads the configuration file and the overrides. A missing file means the built-in defaults. */
  public static Future<NodeConfig> load(Vertx vertx) {
    String file = System.getenv().getOrDefault("CONFIG_FILE", System.getProperty("CONFIG_FILE", "conf/config.json"));
    JsonArray keys = new JsonArray().add("HTTP_PORT").add("HTTP_HOST").add("MODELS_DIR");
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setIncludeDefaultStores(false)
      .addStore(new ConfigStoreOptions().setType("file").setOptional(true).setConfig(new JsonObject().put("path", file)))
      .addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("keys", keys)))
      .addStore(new ConfigStoreOptions().setType("sys").setConfig(new JsonObject().put("keys", keys)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig().map(NodeConfig::new).onComplete(ar -> retriever.close());
  }

  public JsonObject json() {
    return json;
  }

  public String httpHost() {
    return json.getString("HTTP_HOST", http().getString("host", "127.0.0.1"));
  }

  public int httpPort() {
    Object env = json.getValue("HTTP_PORT");
    return env != null ? Integer.parseInt(env.toString()) : http().getInteger("port", 8080);
  }

  /** The largest request body the gateway accepts (413 beyond). */
  public long maxBodyBytes() {
    return http().getLong("maxBodyBytes", 4L * 1024 * 1024);
  }

  /** How long streams in flight may run on after a shutdown began (SIGTERM) before they end with an error. */
  public long shutdownGraceMs() {
    return json.getLong("shutdownGraceMs", 10_000L);
  }

  public Path modelsDir() {
    String dir = json.getString("MODELS_DIR", json.getString("modelsDir"));
    return dir != null ? Paths.get(dir) : Paths.get(System.getProperty("user.home"), ".cache", "llm-runtime", "models");
  }

  public RegistryConfig registry() {
    return new RegistryConfig(json, modelsDir());
  }

  private JsonObject http() {
    return json.getJsonObject("http", new JsonObject());
  }
}
