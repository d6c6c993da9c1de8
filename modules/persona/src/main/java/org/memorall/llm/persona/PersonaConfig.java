package org.memorall.llm.persona;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatMessage;

import java.util.Set;

/**
 * The settings of one persona, checked once when it is created, and the request rewrite they imply. The registry
 * keeps its own settings in the same object, and refuses keys that neither reads ({@link #KEYS}).
 */
final class PersonaConfig {

  /** The keys read here; the registry refuses others besides its own. */
  static final Set<String> KEYS = Set.of("llm", "system", "mode", "defaults", "maxConcurrency");

  static final String PREPEND = "prepend";
  static final String REPLACE = "replace";
  static final int DEFAULT_MAX_CONCURRENCY = 16;
  private static final Set<String> NOT_DEFAULTS = Set.of("messages", "model", "stream");
  private static final Set<String> MAX_TOKENS = Set.of("max_tokens", "max_completion_tokens");

  final String llm;
  final String system;
  final String mode;
  final JsonObject defaults;
  final int maxConcurrency;

  private PersonaConfig(JsonObject c) {
    llm = requiredString(c, "llm", "the name of the LLM to wrap");
    system = requiredString(c, "system", "the system prompt");
    Object m = c.getValue("mode");
    if (m != null && !PREPEND.equals(m) && !REPLACE.equals(m)) {
      throw new IllegalArgumentException("'mode' must be \"prepend\" or \"replace\"");
    }
    mode = m == null ? PREPEND : (String) m;
    defaults = defaults(c.getValue("defaults"));
    Object n = c.getValue("maxConcurrency");
    if (n != null && (!(n instanceof Integer) || (Integer) n < 1 || (Integer) n > 1024)) {
      throw new IllegalArgumentException("'maxConcurrency' must be an integer from 1 to 1024");
    }
    maxConcurrency = n == null ? DEFAULT_MAX_CONCURRENCY : (Integer) n;
  }

  /** Throws IllegalArgumentException naming the first bad key. */
  static PersonaConfig parse(JsonObject config) {
    return new PersonaConfig(config == null ? new JsonObject() : config);
  }

  /**
   * The request to send to the wrapped LLM: a copy with the persona's system message (per {@link #mode}) and the
   * defaults the client did not set. {@code model} is dropped when it names the persona itself ({@code self}).
   */
  ChatCompletionRequest apply(ChatCompletionRequest request, String self) {
    JsonObject json = request.toJson().copy();
    if (self != null && self.equals(json.getValue("model"))) {
      json.remove("model");
    }
    JsonArray messages = new JsonArray().add(ChatMessage.of("system", system).toJson());
    for (Object m : json.getJsonArray("messages", new JsonArray())) {
      if (!(REPLACE.equals(mode) && m instanceof JsonObject && isSystem(((JsonObject) m).getValue("role")))) {
        messages.add(m);
      }
    }
    json.put("messages", messages);
    for (String key : defaults.fieldNames()) {
      boolean set = MAX_TOKENS.contains(key)
        ? MAX_TOKENS.stream().anyMatch(k -> json.getValue(k) != null)
        : json.getValue(key) != null;
      if (!set) {
        json.put(key, copyOf(defaults.getValue(key)));
      }
    }
    return new ChatCompletionRequest(json);
  }

  private static boolean isSystem(Object role) {
    return "system".equals(role) || "developer".equals(role);
  }

  private static Object copyOf(Object v) {
    return v instanceof JsonObject ? ((JsonObject) v).copy() : v instanceof JsonArray ? ((JsonArray) v).copy() : v;
  }

  private static String requiredString(JsonObject c, String key, String what) {
    Object v = c.getValue(key);
    if (!(v instanceof String) || ((String) v).isBlank()) {
      throw new IllegalArgumentException("'" + key + "' is required: " + what + " (a non-empty string)");
    }
    return (String) v;
  }

  /** The defaults object, checked with the same rules as a request (a temperature of 5 fails here, not later). */
  private static JsonObject defaults(Object v) {
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject)) {
      throw new IllegalArgumentException("'defaults' must be an object of request fields, e.g. {\"temperature\": 0.2}");
    }
    JsonObject d = ((JsonObject) v).copy();
    for (String key : d.fieldNames()) {
      if (NOT_DEFAULTS.contains(key)) {
        throw new IllegalArgumentException("'defaults." + key + "' cannot be set: it belongs to each request");
      }
    }
    try {
      new ChatCompletionRequest(d.copy().put("messages", new JsonArray().add(ChatMessage.of("user", "x").toJson())))
        .validate();
    } catch (ServiceException e) {
      String param = e.getDebugInfo() == null ? null : e.getDebugInfo().getString("param");
      throw new IllegalArgumentException(param == null ? "'defaults': " + e.getMessage()
        : e.getMessage().replace("'" + param + "'", "'defaults." + param + "'"));
    }
    return d;
  }
}
