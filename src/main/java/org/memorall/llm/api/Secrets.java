package org.memorall.llm.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/** Redacts secrets (API keys, tokens, passwords, auth headers) from configuration before it is shown or logged. */
public final class Secrets {

  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(key|secret|password|passwd|authorization|credential).*");
  /** "token" names a secret (hfToken, access_token) unless it counts tokens (max_tokens, maxTokens). */
  private static final Pattern TOKEN_KEY = Pattern.compile("(?i).*token(?!s).*");
  public static final String REDACTED = "***";

  private Secrets() {
  }

  public static boolean isSecretKey(String key) {
    return SECRET_KEY.matcher(key).matches() || TOKEN_KEY.matcher(key).matches();
  }

  /** A deep copy of {@code config} with the value of every secret-looking key replaced by {@value #REDACTED}. */
  public static JsonObject redact(JsonObject config) {
    JsonObject copy = new JsonObject();
    if (config == null) {
      return copy;
    }
    config.forEach(e -> copy.put(e.getKey(), isSecretKey(e.getKey()) && e.getValue() != null ? REDACTED : redactValue(e.getValue())));
    return copy;
  }

  private static Object redactValue(Object value) {
    if (value instanceof JsonObject) {
      return redact((JsonObject) value);
    }
    if (value instanceof JsonArray) {
      JsonArray out = new JsonArray();
      ((JsonArray) value).forEach(v -> out.add(redactValue(v)));
      return out;
    }
    return value;
  }
}
