package org.memorall.llm.persona;

import com.google.auto.service.AutoService;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderFactory;

import java.util.List;
import java.util.Set;

/**
 * The {@code persona} provider type: an LLM that wraps another LLM of the registry with a fixed system prompt.
 * See modules/persona/README.md for the settings.
 */
@AutoService(ProviderFactory.class)
public final class PersonaProviderFactory implements ProviderFactory {

  @Override
  public List<String> types() {
    return List.of("persona");
  }

  /** Checks the settings now (IllegalArgumentException naming the bad key); the wrapped LLM is found per request. */
  @Override
  public LlmProvider create(String type, JsonObject config) {
    if (!types().contains(type)) {
      throw new IllegalArgumentException("Type '" + type + "' is not one of " + types());
    }
    return new PersonaProvider(PersonaConfig.parse(config));
  }

  @Override
  public Set<String> configKeys() {
    return PersonaConfig.KEYS;
  }
}
