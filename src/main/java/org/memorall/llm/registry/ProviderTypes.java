package org.memorall.llm.registry;

import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ProviderFactory;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The provider types on the class path: every {@link ProviderFactory} found through {@link ServiceLoader}. */
final class ProviderTypes {

  private final Map<String, ProviderFactory> byType = new TreeMap<>();
  private final Map<String, String> canonical = new TreeMap<>();

  ProviderTypes() {
    for (ProviderFactory factory : ServiceLoader.load(ProviderFactory.class)) {
      String first = factory.types().get(0);
      for (String type : factory.types()) {
        byType.putIfAbsent(type, factory);
        canonical.putIfAbsent(type, first);
      }
    }
  }

  ProviderFactory factory(String type) {
    ProviderFactory factory = type == null ? null : byType.get(type);
    if (factory == null) {
      throw LlmErrors.invalidField("type", "Unknown LLM type '" + type + "'. Available types: "
        + String.join(", ", byType.keySet()));
    }
    return factory;
  }

  /** The canonical name of a type or alias (wllama → llamacpp). */
  String canonical(String type) {
    return canonical.getOrDefault(type, type);
  }
}
