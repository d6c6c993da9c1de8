package org.memorall.llm.registry;

import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.Map;

/**
 * The registry's settings, read from the node configuration ({@code conf/config.json}): the LLMs created at
 * start-up ({@code llms}), the default LLM's name ({@code defaultLlm}), the models directory and the queue bounds.
 */
public final class RegistryConfig {

  private final JsonObject json;
  private final Path modelsDir;
  private final String nodeName;

  public RegistryConfig(JsonObject json, Path modelsDir) {
    this(json, modelsDir, null);
  }

  public RegistryConfig(JsonObject json, Path modelsDir, String nodeName) {
    this.json = json;
    this.modelsDir = modelsDir;
    this.nodeName = nodeName;
  }

  public String defaultName() {
    return json.getString("defaultLlm", "default");
  }

  /**
   * The default LLM's type when it is created on first use: the one declared in {@code llms} (its {@code type}, or
   * its config's, as the spec writes it), else llamacpp.
   */
  public String defaultType() {
    JsonObject spec = defaultSpec();
    Object type = spec.getValue("type");
    Object inConfig = spec.getValue("config") instanceof JsonObject ? spec.getJsonObject("config").getValue("type") : null;
    return type instanceof String ? (String) type : inConfig instanceof String ? (String) inConfig : "llamacpp";
  }

  public JsonObject defaultConfig() {
    return defaultSpec().getJsonObject("config", new JsonObject()).copy();
  }

  private JsonObject defaultSpec() {
    return llmsJson().getJsonObject(defaultName(), new JsonObject());
  }

  /** The LLMs to create at start-up: name → {type, config}. */
  public Iterable<Map.Entry<String, Object>> llms() {
    return llmsJson();
  }

  private JsonObject llmsJson() {
    return json.getJsonObject("llms", new JsonObject());
  }

  /** This node's name in a cluster (see the node's cluster settings); null: derived from its id. */
  public String nodeName() {
    return nodeName;
  }

  public Path modelsDir() {
    return modelsDir;
  }

  public int maxQueue() {
    return queue().getInteger("maxQueue", 64);
  }

  public long queueTimeoutMs() {
    return queue().getLong("queueTimeoutMs", 120_000L);
  }

  /** How long model management calls (models, unload, delete) may take. */
  public long requestTimeoutMs() {
    return queue().getLong("requestTimeoutMs", 120_000L);
  }

  private JsonObject queue() {
    return json.getJsonObject("queue", new JsonObject());
  }
}
