package org.memorall.llm.api;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Creates providers of one or more types. Modules register a factory through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.memorall.llm.api.ProviderFactory}); the registry picks it by the {@code type}
 * given to {@code create}.
 */
public interface ProviderFactory {

  /** The type names this factory answers to; the first is the canonical one, the others aliases. */
  List<String> types();

  /**
   * A new provider for {@code config}. Throws {@link IllegalArgumentException} with a message naming the bad
   * setting when the configuration cannot work, so that {@code create} fails at once with a 400.
   */
  LlmProvider create(String type, JsonObject config);
}
