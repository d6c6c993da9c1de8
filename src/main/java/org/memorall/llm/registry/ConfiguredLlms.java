package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmInfo;

import java.util.Map;
import java.util.logging.Logger;

/** The LLMs declared in the node's configuration ({@code llms}), created when the registry starts. */
final class ConfiguredLlms {

  private static final Logger LOG = Logger.getLogger(ConfiguredLlms.class.getName());

  private ConfiguredLlms() {
  }

  /**
   * Creates them through {@code creator} (the registry, or the cluster's, which makes them replicas of LLMs of the
   * same name on other nodes), one after the other; a failure is logged.
   */
  static Future<Void> create(RegistryConfig config, Creator creator) {
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, Object> e : config.llms()) {
      JsonObject spec = (JsonObject) e.getValue();
      chain = chain.compose(v -> creator.create(e.getKey(), spec.getString("type"),
          spec.getJsonObject("config", new JsonObject()))
        .<Void>mapEmpty()
        .otherwise(err -> {
          LOG.severe("LLM '" + e.getKey() + "' from the configuration failed: " + err.getMessage());
          return null;
        }));
    }
    return chain;
  }

  /** Creates one LLM: {@link Registry#create}, or the cluster's way of creating it. */
  @FunctionalInterface
  interface Creator {
    Future<LlmInfo> create(String name, String type, JsonObject config);
  }
}
