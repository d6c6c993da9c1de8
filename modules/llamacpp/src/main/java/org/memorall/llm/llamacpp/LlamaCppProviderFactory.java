package org.memorall.llm.llamacpp;

import com.google.auto.service.AutoService;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderFactory;

import java.util.List;
import java.util.Set;

/**
 * The {@code llamacpp} provider type (alias {@code wllama}, the name of the browser build the original service
 * used): a GGUF model run in-process by llama.cpp. See modules/llamacpp/README.md for the settings.
 */
@AutoService(ProviderFactory.class)
public final class LlamaCppProviderFactory implements ProviderFactory {

  @Override
  public List<String> types() {
    return List.of("llamacpp", "wllama");
  }

  /** Checks the settings now (IllegalArgumentException naming the bad key); the model loads on start. */
  @Override
  public LlmProvider create(String type, JsonObject config) {
    if (!types().contains(type)) {
      throw new IllegalArgumentException("Type '" + type + "' is not one of " + types());
    }
    return new LlamaCppProvider(LlamaCppConfig.parse(config));
  }

  @Override
  public Set<String> configKeys() {
    return LlamaCppConfig.KEYS;
  }
}
