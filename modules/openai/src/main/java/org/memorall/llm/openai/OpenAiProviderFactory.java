package org.memorall.llm.openai;

import com.google.auto.service.AutoService;
import org.memorall.llm.api.ProviderFactory;

/** The {@code openai} provider type: OpenAI's API (https://api.openai.com/v1 unless 'baseURL' names another OpenAI-compatible server). See modules/openai/README.md. */
@AutoService(ProviderFactory.class)
public final class OpenAiProviderFactory extends RemoteProviderFactory {

  public OpenAiProviderFactory() {
    super("openai");
  }
}
