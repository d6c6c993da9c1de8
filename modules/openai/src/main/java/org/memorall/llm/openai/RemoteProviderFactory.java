package org.memorall.llm.openai;

import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderFactory;

import java.util.List;
import java.util.Set;

/**
 * The shared factory of the OpenAI-compatible types. Each type has its own factory (not an alias) so that an
 * LLM's info shows the type it was created with: aliases are reported under their canonical name.
 */
abstract class RemoteProviderFactory implements ProviderFactory {

  private final String type;

  RemoteProviderFactory(String type) {
    this.type = type;
  }

  @Override
  public List<String> types() {
    return List.of(type);
  }

  /** Checks the settings now (IllegalArgumentException naming the bad key); nothing is contacted until a request. */
  @Override
  public LlmProvider create(String type, JsonObject config) {
    if (!this.type.equals(type)) {
      throw new IllegalArgumentException("Type '" + type + "' is not " + this.type);
    }
    return new OpenAiProvider(OpenAiConfig.parse(type, config));
  }

  @Override
  public Set<String> configKeys() {
    return OpenAiConfig.KEYS;
  }
}
