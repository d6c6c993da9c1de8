package org.memorall.llm.api;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/** What a provider gets when it starts: its name, its configuration and the node's shared settings. */
public interface ProviderContext {

  Vertx vertx();

  /** The LLM's name in the registry, e.g. {@code default}. */
  String name();

  /** The LLM's configuration as given to {@code create}; it may hold secrets, so never log it unredacted. */
  JsonObject config();

  /** The node's models directory ({@code MODELS_DIR}), where providers keep model files. */
  Path modelsDir();
}
