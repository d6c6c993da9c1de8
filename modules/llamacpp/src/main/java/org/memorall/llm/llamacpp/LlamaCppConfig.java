package org.memorall.llm.llamacpp;

import de.kherud.llama.args.PoolingType;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * The settings of one llamacpp LLM, checked once when it is created. The registry keeps its own settings (queue,
 * fallbacks, ...) in the same object, and refuses keys that neither reads ({@link #KEYS}).
 */
final class LlamaCppConfig {

  /**
   * The keys read here; {@code url} is the spec's wllama runner URL, which has no meaning in-process: accepted, so
   * that the spec's configs work, and ignored.
   */
  static final Set<String> KEYS = Set.of("model", "parallel", "threads", "contextSize", "chatTemplate", "seed",
    "nativeLog", "embedding", "flashAttention", "pooling", "maxTokens", "hubEndpoint", "url");

  static final String PLAIN = "plain";
  static final int DEFAULT_PARALLEL = 2;
  static final int DEFAULT_MAX_TOKENS = 512;
  /** Per-slot context when {@code contextSize} is not given, capped by the model's trained context. */
  static final int DEFAULT_SLOT_CONTEXT = 2048;
  /** llama.cpp's own default; OpenAI's is 1.0. */
  static final float DEFAULT_TEMPERATURE = 0.8f;

  final String model;
  final int parallel;
  final int threads;
  final Integer contextSize;
  final String chatTemplate;
  final Long seed;
  final boolean nativeLog;
  final int maxTokens;
  /** The HuggingFace endpoint for serve; null: HF_ENDPOINT, else huggingface.co (see HubClient). */
  final String hubEndpoint;
  /** Embedding mode: the model also answers embeddings (and still chats). */
  final boolean embedding;
  /** How the token vectors of an input become one embedding: last (default) or cls. */
  final PoolingType pooling;
  /** llama.cpp's flash attention: skips the KV cells of other slots instead of attending over them. */
  final boolean flashAttention;

  private LlamaCppConfig(JsonObject c) {
    model = optionalString(c, "model", "a path to a GGUF file");
    parallel = intIn(c, "parallel", 1, 64, DEFAULT_PARALLEL);
    threads = intIn(c, "threads", 1, 512, defaultThreads(Runtime.getRuntime().availableProcessors()));
    contextSize = c.getValue("contextSize") == null ? null : intIn(c, "contextSize", 64, 1 << 20, 0);
    if (contextSize != null && contextSize / parallel < 32) {
      throw new IllegalArgumentException("'contextSize' (" + contextSize + ") divided by 'parallel' (" + parallel
        + ") leaves fewer than 32 tokens per slot");
    }
    chatTemplate = optionalString(c, "chatTemplate", "\"plain\", a llama.cpp template name or a Jinja template");
    Object s = c.getValue("seed");
    if (s != null && !(s instanceof Integer || s instanceof Long)) {
      throw new IllegalArgumentException("'seed' must be an integer");
    }
    seed = s == null ? null : ((Number) s).longValue();
    nativeLog = bool(c, "nativeLog", false);
    embedding = bool(c, "embedding", false);
    flashAttention = bool(c, "flashAttention", true);
    pooling = pooling(c.getValue("pooling"));
    maxTokens = intIn(c, "maxTokens", 1, 1 << 20, DEFAULT_MAX_TOKENS);
    hubEndpoint = optionalString(c, "hubEndpoint", "an http(s) URL such as https://huggingface.co");
    if (hubEndpoint != null && !hubEndpoint.matches("https?://[^\\s/]+(/\\S*)?")) {
      throw new IllegalArgumentException("'hubEndpoint' must be an http(s) URL such as https://huggingface.co");
    }
  }

  /**
   * "last" suits decoder models (the last token has read the whole text); "cls" the first token, for encoder
   * models trained that way. "mean" is refused: it aborted the JVM (GGML_ASSERT) when loading a llama model with
   * java-llama.cpp 4.2.0, measured on the bundled model.
   */
  private static PoolingType pooling(Object value) {
    if (value == null || "last".equals(value)) {
      return PoolingType.LAST;
    }
    if ("cls".equals(value)) {
      return PoolingType.CLS;
    }
    if ("mean".equals(value)) {
      throw new IllegalArgumentException("'pooling' \"mean\" is not supported: with java-llama.cpp 4.2.0 it aborts"
        + " the process when a llama-style model loads; use \"last\" (the default) or \"cls\"");
    }
    throw new IllegalArgumentException("'pooling' must be \"last\" or \"cls\"");
  }

  /** Throws IllegalArgumentException naming the first bad key. */
  static LlamaCppConfig parse(JsonObject config) {
    return new LlamaCppConfig(config == null ? new JsonObject() : config);
  }

  /**
   * One compute thread on small machines, which leaves a core to the node: on 2 cores, 2 threads decoded a
   * compute-bound model 10-20 % faster with java-llama.cpp alone, but through the gateway the event loop competes
   * with them (paired gateway / direct down to 0.77, first token 10.7 instead of 6.8 ms).
   */
  static int defaultThreads(int cpus) {
    return cpus <= 4 ? 1 : Math.max(1, cpus / 2 - 1);
  }

  boolean plainTemplate() {
    return PLAIN.equals(chatTemplate);
  }

  /** A configured template other than "plain", which llama.cpp renders. */
  boolean llamaTemplate() {
    return chatTemplate != null && !plainTemplate();
  }

  /** Jinja source rather than the name of one of llama.cpp's built-in templates. */
  static boolean isJinja(String template) {
    return template.contains("{{") || template.contains("{%");
  }

  private static String optionalString(JsonObject c, String key, String what) {
    Object v = c.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String) || ((String) v).isBlank()) {
      throw new IllegalArgumentException("'" + key + "' must be " + what);
    }
    return (String) v;
  }

  private static boolean bool(JsonObject c, String key, boolean def) {
    Object v = c.getValue(key);
    if (v != null && !(v instanceof Boolean)) {
      throw new IllegalArgumentException("'" + key + "' must be true or false");
    }
    return v == null ? def : (Boolean) v;
  }

  private static int intIn(JsonObject c, String key, int min, int max, int def) {
    Object v = c.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw new IllegalArgumentException("'" + key + "' must be an integer from " + min + " to " + max);
    }
    return ((Number) v).intValue();
  }
}
