package org.memorall.llm.registry;

import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderFactory;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The provider types on the class path: every {@link ProviderFactory} found through {@link ServiceLoader}. */
final class ProviderTypes {

  static final String CUSTOM = "custom";

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

  /**
   * A provider of {@code type}: a registered type or alias, or {@code custom} with {@code config.class} naming a
   * {@link ProviderFactory} or {@link LlmProvider} class on the class path. Throws a 400 for an unknown type;
   * IllegalArgumentException for a bad config.
   */
  LlmProvider create(String type, JsonObject config) {
    if (CUSTOM.equals(type)) {
      return custom(config);
    }
    ProviderFactory factory = type == null ? null : byType.get(type);
    if (factory == null) {
      throw LlmErrors.invalidField("type", "Unknown LLM type '" + type + "'. Available types: "
        + String.join(", ", byType.keySet()) + ", " + CUSTOM + " (with config.class)");
    }
    return factory.create(canonical(type), config);
  }

  private static LlmProvider custom(JsonObject config) {
    Object name = config.getValue("class");
    if (!(name instanceof String)) {
      throw new IllegalArgumentException("type 'custom' needs 'class': the name of a ProviderFactory or LlmProvider class");
    }
    Object instance;
    try {
      instance = Class.forName((String) name).getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("class '" + name + "' is not on the class path");
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalArgumentException("class '" + name + "' cannot be created with a public no-argument constructor");
    }
    if (instance instanceof ProviderFactory) {
      ProviderFactory factory = (ProviderFactory) instance;
      return factory.create(factory.types().get(0), config);
    }
    if (instance instanceof LlmProvider) {
      return (LlmProvider) instance;
    }
    throw new IllegalArgumentException("class '" + name + "' implements neither ProviderFactory nor LlmProvider");
  }

  /**
   * The type a create asks for: {@code type}, or, as the spec writes it ({@code create(name, {type: ...})}), the
   * config's {@code type}. A 400 when there is neither, or when the two name different types (for a type whose
   * factory lists its keys; for others, custom ones included, {@code config.type} may be a setting of their own).
   */
  String requested(String type, JsonObject config) {
    Object inConfig = config == null ? null : config.getValue("type");
    if (inConfig != null && !(inConfig instanceof String)) {
      throw LlmErrors.invalidField("config", "'config.type' must be a string");
    }
    if (type == null) {
      if (inConfig == null) {
        throw LlmErrors.invalidField("type", "'type' is required (or 'config.type'). Available types: "
          + String.join(", ", byType.keySet()) + ", " + CUSTOM + " (with config.class)");
      }
      return (String) inConfig;
    }
    if (inConfig != null && keysOf(type) != null && !canonical(type).equals(canonical((String) inConfig))) {
      throw LlmErrors.invalidField("config", "'config.type' is '" + inConfig + "' but 'type' is '" + type
        + "'; give one, or the same in both");
    }
    return type;
  }

  /**
   * Refuses a key of {@code config} that neither the provider of {@code type} nor the registry ({@code own})
   * reads, naming it and, when it looks like a misspelling, the key meant (IllegalArgumentException). Types whose
   * factory does not list its keys, and custom ones, take any key.
   */
  void checkKeys(String type, JsonObject config, Set<String> own) {
    Set<String> keys = keysOf(type);
    if (keys != null) {
      Set<String> known = new TreeSet<>(keys);
      known.addAll(own);
      ConfigKeys.refuseUnknown(config.fieldNames(), known, "", "of type '" + type + "'");
    }
  }

  /** The config keys the factory of {@code type} lists, or null (any key: custom, unknown or unlisted types). */
  private Set<String> keysOf(String type) {
    ProviderFactory factory = type == null ? null : byType.get(type);
    return factory == null ? null : factory.configKeys();
  }

  /** The canonical name of a type or alias (wllama → llamacpp). */
  String canonical(String type) {
    return canonical.getOrDefault(type, type);
  }
}
