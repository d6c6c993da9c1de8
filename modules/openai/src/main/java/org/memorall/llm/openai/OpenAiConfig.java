package org.memorall.llm.openai;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The settings of one remote LLM, checked once when it is created. The registry keeps its own settings (and the
 * spec's {@code type}) in the same object, and refuses keys that neither reads ({@link #KEYS}).
 */
final class OpenAiConfig {

  static final Set<String> KEYS = Set.of("apiKey", "baseURL", "model", "organization", "project", "headers",
    "timeouts", "maxConcurrency");

  static final Map<String, String> DEFAULT_BASE_URLS = Map.of(
    "openai", "https://api.openai.com/v1",
    "lmstudio", "http://localhost:1234/v1",
    "ollama", "http://localhost:11434/v1");
  static final int DEFAULT_MAX_CONCURRENCY = 32;
  static final int MAX_CONCURRENCY_LIMIT = 1024;
  private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding", "connection");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  final String type;
  /** Null when no key is configured (local servers). Never shown. */
  final String apiKey;
  final URI baseUrl;
  final String model;
  final String organization;
  final String project;
  final Map<String, String> headers;
  final Timeouts timeouts;
  final int maxConcurrency;

  private OpenAiConfig(String type, JsonObject c) {
    this.type = type;
    String key = optionalString(c, "apiKey");
    apiKey = key == null || key.isBlank() ? null : key;
    if (apiKey != null && hasControlChars(apiKey)) {
      throw new IllegalArgumentException("'apiKey' must not contain control characters");
    }
    String url = optionalString(c, "baseURL");
    baseUrl = parseBaseUrl(url == null ? DEFAULT_BASE_URLS.get(type) : url);
    model = nonBlank(c, "model");
    organization = nonBlank(c, "organization");
    project = nonBlank(c, "project");
    headers = parseHeaders(c.getValue("headers"));
    timeouts = Timeouts.parse(c.getValue("timeouts"));
    maxConcurrency = maxConcurrency(c.getValue("maxConcurrency"));
    if (apiKey == null && "api.openai.com".equalsIgnoreCase(baseUrl.getHost())) {
      throw new IllegalArgumentException("'apiKey' is required for " + displayUrl()
        + " (for a local OpenAI-compatible server, set 'baseURL', e.g. http://localhost:1234/v1, and the key may be omitted)");
    }
  }

  /** Throws IllegalArgumentException naming the first bad key. */
  static OpenAiConfig parse(String type, JsonObject config) {
    if (!DEFAULT_BASE_URLS.containsKey(type)) {
      throw new IllegalArgumentException("Type '" + type + "' is not one of " + DEFAULT_BASE_URLS.keySet());
    }
    return new OpenAiConfig(type, config == null ? new JsonObject() : config);
  }

  boolean ssl() {
    return "https".equalsIgnoreCase(baseUrl.getScheme());
  }

  int port() {
    return baseUrl.getPort() != -1 ? baseUrl.getPort() : ssl() ? 443 : 80;
  }

  /** The base URL as shown in status and errors: without its query, which may hold a credential. */
  String displayUrl() {
    return baseUrl.getScheme().toLowerCase(Locale.ROOT) + "://" + baseUrl.getRawAuthority() + basePath();
  }

  /** The request URI of {@code endpoint} (e.g. "/chat/completions") under the base URL, with its query. */
  String uri(String endpoint) {
    String query = baseUrl.getRawQuery();
    return basePath() + endpoint + (query == null ? "" : "?" + query);
  }

  private String basePath() {
    String path = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static URI parseBaseUrl(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'baseURL' is not a valid URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null) {
      throw new IllegalArgumentException("'baseURL' must be an http:// or https:// URL with a host, e.g. http://localhost:1234/v1");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("'baseURL' must not contain credentials; use 'apiKey' or 'headers'");
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException("'baseURL' must not contain a fragment (#...)");
    }
    return uri;
  }

  private static Map<String, String> parseHeaders(Object value) {
    if (value == null) {
      return Collections.emptyMap();
    }
    if (!(value instanceof JsonObject)) {
      throw new IllegalArgumentException("'headers' must be an object of header names to string values");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : (JsonObject) value) {
      String name = e.getKey();
      if (!HEADER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("'headers': '" + name + "' is not a valid header name");
      }
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("'headers." + name + "' is set by the HTTP client and cannot be configured");
      }
      if (!(e.getValue() instanceof String) || hasControlChars((String) e.getValue())) {
        throw new IllegalArgumentException("'headers." + name + "' must be a string without control characters");
      }
      map.put(name, (String) e.getValue());
    }
    return Collections.unmodifiableMap(map);
  }

  private static int maxConcurrency(Object v) {
    if (v == null) {
      return DEFAULT_MAX_CONCURRENCY;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 1
      || ((Number) v).longValue() > MAX_CONCURRENCY_LIMIT) {
      throw new IllegalArgumentException("'maxConcurrency' must be an integer from 1 to " + MAX_CONCURRENCY_LIMIT);
    }
    return ((Number) v).intValue();
  }

  private static String optionalString(JsonObject c, String key) {
    Object v = c.getValue(key);
    if (v != null && !(v instanceof String)) {
      throw new IllegalArgumentException("'" + key + "' must be a string");
    }
    return (String) v;
  }

  private static String nonBlank(JsonObject c, String key) {
    String v = optionalString(c, key);
    if (v != null && (v.isBlank() || hasControlChars(v))) {
      throw new IllegalArgumentException("'" + key + "' must be a non-empty string without control characters");
    }
    return v;
  }

  private static boolean hasControlChars(String s) {
    return s.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f);
  }
}
