package org.memorall.llm.openai;

import com.google.auto.service.AutoService;
import org.memorall.llm.api.ProviderFactory;

/** The {@code lmstudio} provider type: LM Studio's OpenAI-compatible server (http://localhost:1234/v1 by default). See modules/openai/README.md. */
@AutoService(ProviderFactory.class)
public final class LmStudioProviderFactory extends RemoteProviderFactory {

  public LmStudioProviderFactory() {
    super("lmstudio");
  }
}
