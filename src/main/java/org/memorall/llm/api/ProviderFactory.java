package org.memorall.llm.api;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

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

  /**
   * The config keys this factory's providers read. The registry refuses any other key (besides its own: retries,
   * fallbacks, queue) with a 400 naming it, so that a misspelled setting is not silently ignored; null (the
   * default) accepts any key.
   */
  default Set<String> configKeys() {
    return null;
  }
}
