package org.memorall.llm.api;

/** Every event-bus address of the runtime, in one place. */
public final class Addresses {

  /** The registry service ({@link LlmService} proxy). */
  public static final String REGISTRY = "llm.registry";
  /** Streams opened through the registry (chat completions, serve progress); see {@link LlmClient}. */
  public static final String REGISTRY_STREAM = "llm.registry.stream";
  private static final String PROVIDER_PREFIX = "llm.provider.";

  private Addresses() {
  }

  /** The address of the provider verticle serving LLM {@code name}. */
  public static String provider(String name) {
    return PROVIDER_PREFIX + name;
  }
}
