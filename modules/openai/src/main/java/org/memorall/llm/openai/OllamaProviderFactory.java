package org.memorall.llm.openai;

import com.google.auto.service.AutoService;
import org.memorall.llm.api.ProviderFactory;

/** The {@code ollama} provider type: Ollama's OpenAI-compatible API (http://localhost:11434/v1 by default). See modules/openai/README.md. */
@AutoService(ProviderFactory.class)
public final class OllamaProviderFactory extends RemoteProviderFactory {

  public OllamaProviderFactory() {
    super("ollama");
  }
}
