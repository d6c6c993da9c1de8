package org.memorall.llm.node;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.registry.RegistryConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every setting of a node, read in one place: {@code conf/config.json} (or {@code CONFIG_FILE}), then
 * environment variables, then system properties of the same names ({@code HTTP_PORT}, {@code HTTP_HOST},
 * {@code MODELS_DIR}, {@code LLM_API_KEYS}).
 */
public final class NodeConfig {

  /** Environment variable (or system property) with gateway API keys, comma-separated, added to the configured ones. */
  public static final String API_KEYS_ENV = "LLM_API_KEYS";
  static final long DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
  /** Environment variable (or system property) for {@code eventLoops}. */
  public static final String EVENT_LOOPS_ENV = "LLM_EVENT_LOOPS";

  private final JsonObject json;

  public NodeConfig(JsonObject json) {
    this.json = json;
  }

  /** Reads the configuration file and the overrides. A missing file means the built-in defaults. */
  public static Future<NodeConfig> load(Vertx vertx) {
    String file = System.getenv().getOrDefault("CONFIG_FILE", System.getProperty("CONFIG_FILE", "conf/config.json"));
    JsonArray keys = new JsonArray().add("HTTP_PORT").add("HTTP_HOST").add("MODELS_DIR").add(API_KEYS_ENV)
      .add(EVENT_LOOPS_ENV);
    ClusterSettings.KEYS.forEach(keys::add);
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

  /**
   * Event-loop threads of the node's Vert.x ({@code eventLoops}, default 1). With one, the gateway, the registry and
   * the providers run on the same thread, so a request or a token passes between them without waking another thread
   * (README "Performance"); llama.cpp computes on threads of its own either way. More loops only help a node
   * proxying many thousands of requests a second to remote LLMs.
   */
  public int eventLoops() {
    Object value = json.getValue(EVENT_LOOPS_ENV, json.getValue("eventLoops"));
    if (value == null) {
      return 1;
    }
    try {
      int loops = Integer.parseInt(value.toString().trim());
      if (loops >= 1) {
        return loops;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("eventLoops (or " + EVENT_LOOPS_ENV + ") must be a whole number of at least 1, "
      + "not '" + value + "'");
  }

  /** The options of the node's Vert.x that this configuration sets (the cluster's are added by Main). */
  public VertxOptions vertxOptions() {
    return new VertxOptions().setEventLoopPoolSize(eventLoops());
  }

  /** How long streams in flight may run on after a shutdown began (SIGTERM) before they end with an error. */
  public long shutdownGraceMs() {
    return json.getLong("shutdownGraceMs", DEFAULT_SHUTDOWN_GRACE_MS);
  }

  public Path modelsDir() {
    String dir = json.getString("MODELS_DIR", json.getString("modelsDir"));
    return dir != null ? Paths.get(dir) : Paths.get(System.getProperty("user.home"), ".cache", "llm-runtime", "models");
  }

  /** How this node joins a cluster, if it does (README "Clustering"). */
  public ClusterSettings cluster() {
    return new ClusterSettings(json);
  }

  public RegistryConfig registry() {
    return new RegistryConfig(json, modelsDir(), cluster().nodeName());
  }

  // ---- security (README "Security") ----

  /**
   * Keys accepted in {@code Authorization: Bearer}: {@code auth.apiKeys}, the lines of {@code auth.apiKeysFile}
   * and {@code LLM_API_KEYS} together. Empty: the gateway is open. Read once when the gateway starts.
   */
  public List<String> apiKeys() {
    List<String> keys = keys("apiKeys", "apiKeysFile");
    Object env = json.getValue(API_KEYS_ENV);
    if (env != null) {
      // The env store turns "123" into a number: the key is its text either way.
      Arrays.stream(env.toString().split(",")).map(String::trim).filter(k -> !k.isEmpty()).forEach(keys::add);
    }
    return keys;
  }

  /** Keys that may also manage LLMs and models ({@code auth.adminKeys}, {@code auth.adminKeysFile}). */
  public List<String> adminKeys() {
    return keys("adminKeys", "adminKeysFile");
  }

  /** Most messages one chat completion may carry (400 beyond). */
  public int maxMessages() {
    return positiveInt(limits(), "limits.maxMessages", "maxMessages", 1024);
  }

  /** Most characters of message content, all messages together, one chat completion may carry (400 beyond). */
  public int maxChars() {
    return positiveInt(limits(), "limits.maxChars", "maxChars", 1_000_000);
  }

  /** Requests per minute per API key (per client address without keys); 0: no limit. */
  public int requestsPerMinute() {
    Object v = limits().getValue("requestsPerMinute", 0);
    if (!(v instanceof Integer) || (Integer) v < 0) {
      throw new IllegalArgumentException("'limits.requestsPerMinute' must be an integer, 0 (no limit) or more");
    }
    return (Integer) v;
  }

  /** Origins allowed to call the gateway from a browser; empty: no CORS (the default); ["*"]: any origin. */
  public List<String> corsAllowedOrigins() {
    Object v = json.getJsonObject("cors", new JsonObject()).getValue("allowedOrigins");
    if (v == null) {
      return List.of();
    }
    if (v instanceof String) {
      return List.of((String) v);
    }
    if (v instanceof JsonArray && ((JsonArray) v).stream().allMatch(o -> o instanceof String)) {
      return ((JsonArray) v).stream().map(String.class::cast).collect(Collectors.toList());
    }
    throw new IllegalArgumentException("'cors.allowedOrigins' must be a list of origins, or \"*\"");
  }

  /** Request headers a browser may send besides the gateway's own list (e.g. an SDK's {@code x-stainless-*}). */
  public List<String> corsAllowedHeaders() {
    Object v = json.getJsonObject("cors", new JsonObject()).getValue("allowedHeaders");
    if (v == null) {
      return List.of();
    }
    if (v instanceof JsonArray && ((JsonArray) v).stream().allMatch(o -> o instanceof String)) {
      return ((JsonArray) v).stream().map(String.class::cast).collect(Collectors.toList());
    }
    throw new IllegalArgumentException("'cors.allowedHeaders' must be a list of header names");
  }

  private List<String> keys(String listKey, String fileKey) {
    JsonObject auth = json.getJsonObject("auth", new JsonObject());
    List<String> keys = new ArrayList<>();
    Object list = auth.getValue(listKey);
    if (list != null) {
      if (!(list instanceof JsonArray) || !((JsonArray) list).stream().allMatch(k -> k instanceof String)) {
        throw new IllegalArgumentException("'auth." + listKey + "' must be a list of strings");
      }
      ((JsonArray) list).stream().map(k -> ((String) k).trim()).filter(k -> !k.isEmpty()).forEach(keys::add);
    }
    String file = auth.getString(fileKey);
    if (file != null) {
      try {
        // Blank lines and '#' comments let the file be documented.
        Files.readAllLines(Paths.get(file)).stream().map(String::trim)
          .filter(k -> !k.isEmpty() && !k.startsWith("#")).forEach(keys::add);
      } catch (IOException e) {
        // The path is config, not a secret; the message never holds the file's content.
        throw new IllegalArgumentException("'auth." + fileKey + "': cannot read " + file + ": " + e.getClass().getSimpleName());
      }
    }
    return keys;
  }

  private static int positiveInt(JsonObject section, String path, String key, int fallback) {
    Object v = section.getValue(key, fallback);
    if (!(v instanceof Integer) || (Integer) v < 1) {
      throw new IllegalArgumentException("'" + path + "' must be a positive integer");
    }
    return (Integer) v;
  }

  private JsonObject limits() {
    return json.getJsonObject("limits", new JsonObject());
  }

  private JsonObject http() {
    return json.getJsonObject("http", new JsonObject());
  }
}
