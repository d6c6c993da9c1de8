package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An OpenAI chat completion request. Known fields have typed accessors; every other field is kept as it came,
 * so a remote provider can forward it unchanged.
 */
@DataObject
public class ChatCompletionRequest extends JsonData {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
  private static final int MAX_TOKENS_LIMIT = 1_000_000;

  public ChatCompletionRequest(JsonObject json) {
    super(json);
  }

  public ChatCompletionRequest() {
    super(new JsonObject());
  }

  public String getModel() {
    Object v = json.getValue("model");
    return v instanceof String ? (String) v : null;
  }

  public ChatCompletionRequest setModel(String model) {
    json.put("model", model);
    return this;
  }

  public List<ChatMessage> getMessages() {
    List<ChatMessage> list = new ArrayList<>();
    for (Object m : arrayOrEmpty("messages")) {
      if (m instanceof JsonObject) {
        list.add(new ChatMessage((JsonObject) m));
      }
    }
    return list;
  }

  public ChatCompletionRequest withMessage(String role, String content) {
    JsonArray messages = json.getJsonArray("messages");
    if (messages == null) {
      messages = new JsonArray();
      json.put("messages", messages);
    }
    messages.add(ChatMessage.of(role, content).toJson());
    return this;
  }

  public boolean isStream() {
    return Boolean.TRUE.equals(json.getValue("stream"));
  }

  public ChatCompletionRequest setStream(boolean stream) {
    json.put("stream", stream);
    return this;
  }

  /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
  public Integer getMaxTokens() {
    Integer v = intOrNull("max_completion_tokens");
    return v != null ? v : intOrNull("max_tokens");
  }

  public ChatCompletionRequest setMaxTokens(Integer maxTokens) {
    json.put("max_tokens", maxTokens);
    return this;
  }

  public Double getTemperature() {
    return doubleOrNull("temperature");
  }

  public ChatCompletionRequest setTemperature(Double temperature) {
    json.put("temperature", temperature);
    return this;
  }

  public Double getTopP() {
    return doubleOrNull("top_p");
  }

  public Long getSeed() {
    Object v = json.getValue("seed");
    return v instanceof Number ? ((Number) v).longValue() : null;
  }

  public Double getPresencePenalty() {
    return doubleOrNull("presence_penalty");
  }

  public Double getFrequencyPenalty() {
    return doubleOrNull("frequency_penalty");
  }

  /** {@code stop} as a list (OpenAI accepts a string or an array). */
  public List<String> getStop() {
    Object v = json.getValue("stop");
    List<String> list = new ArrayList<>();
    if (v instanceof String) {
      list.add((String) v);
    } else if (v instanceof JsonArray) {
      for (Object s : (JsonArray) v) {
        list.add((String) s);
      }
    }
    return list;
  }

  public boolean isIncludeUsage() {
    JsonObject options = json.getValue("stream_options") instanceof JsonObject ? json.getJsonObject("stream_options") : null;
    return options != null && Boolean.TRUE.equals(options.getValue("include_usage"));
  }

  /** A copy that can be changed without touching this request. */
  public ChatCompletionRequest copy() {
    return new ChatCompletionRequest(json.copy());
  }

  /**
   * Checks the fields this runtime reads. Throws a 400 {@link io.vertx.serviceproxy.ServiceException} naming the
   * first bad field; unknown fields are left alone.
   */
  public ChatCompletionRequest validate() {
    Object model = json.getValue("model");
    if (model != null && !(model instanceof String)) {
      throw LlmErrors.invalidField("model", "'model' must be a string");
    }
    Object messages = json.getValue("messages");
    if (messages == null) {
      throw LlmErrors.invalidField("messages", "'messages' is required");
    }
    if (!(messages instanceof JsonArray)) {
      throw LlmErrors.invalidField("messages", "'messages' must be an array of messages");
    }
    JsonArray list = (JsonArray) messages;
    if (list.isEmpty()) {
      throw LlmErrors.invalidField("messages", "'messages' must contain at least one message");
    }
    for (int i = 0; i < list.size(); i++) {
      validateMessage(list.getValue(i), "messages[" + i + "]");
    }
    checkType("stream", Boolean.class, "a boolean");
    checkInt("max_tokens", 1, MAX_TOKENS_LIMIT);
    checkInt("max_completion_tokens", 1, MAX_TOKENS_LIMIT);
    checkNumber("temperature", 0, 2);
    checkNumber("top_p", 0, 1);
    checkNumber("presence_penalty", -2, 2);
    checkNumber("frequency_penalty", -2, 2);
    Object seed = json.getValue("seed");
    if (seed != null && !(seed instanceof Integer || seed instanceof Long)) {
      throw LlmErrors.invalidField("seed", "'seed' must be an integer");
    }
    Object n = json.getValue("n");
    if (n != null && !Integer.valueOf(1).equals(n)) {
      throw LlmErrors.invalidField("n", "'n' must be 1: one choice per request is supported");
    }
    validateStop();
    Object options = json.getValue("stream_options");
    if (options != null) {
      if (!(options instanceof JsonObject)) {
        throw LlmErrors.invalidField("stream_options", "'stream_options' must be an object");
      }
      Object include = ((JsonObject) options).getValue("include_usage");
      if (include != null && !(include instanceof Boolean)) {
        throw LlmErrors.invalidField("stream_options.include_usage", "'stream_options.include_usage' must be a boolean");
      }
    }
    return this;
  }

  private void validateMessage(Object value, String path) {
    if (!(value instanceof JsonObject)) {
      throw LlmErrors.invalidField(path, "'" + path + "' must be an object with 'role' and 'content'");
    }
    JsonObject m = (JsonObject) value;
    Object role = m.getValue("role");
    if (!(role instanceof String)) {
      throw LlmErrors.invalidField(path + ".role", "'" + path + ".role' is required and must be a string");
    }
    if (!ROLES.contains(role)) {
      throw LlmErrors.invalidField(path + ".role", "'" + path + ".role' is '" + abbreviate((String) role)
        + "'; expected one of system, developer, user, assistant, tool");
    }
    Object content = m.getValue("content");
    boolean mayBeNull = "assistant".equals(role) && (m.containsKey("tool_calls") || m.containsKey("function_call"));
    if (content == null && !mayBeNull) {
      throw LlmErrors.invalidField(path + ".content", "'" + path + ".content' is required");
    }
    if (content != null && !(content instanceof String) && !(content instanceof JsonArray)) {
      throw LlmErrors.invalidField(path + ".content", "'" + path + ".content' must be a string or an array of content parts");
    }
    if (content instanceof JsonArray) {
      JsonArray parts = (JsonArray) content;
      for (int i = 0; i < parts.size(); i++) {
        Object part = parts.getValue(i);
        if (!(part instanceof JsonObject) || !(((JsonObject) part).getValue("type") instanceof String)) {
          throw LlmErrors.invalidField(path + ".content[" + i + "]", "'" + path + ".content[" + i + "]' must be an object with a 'type'");
        }
      }
    }
  }

  private void validateStop() {
    Object stop = json.getValue("stop");
    if (stop == null || stop instanceof String) {
      return;
    }
    if (!(stop instanceof JsonArray) || ((JsonArray) stop).size() > 16) {
      throw LlmErrors.invalidField("stop", "'stop' must be a string or an array of at most 16 strings");
    }
    for (Object s : (JsonArray) stop) {
      if (!(s instanceof String)) {
        throw LlmErrors.invalidField("stop", "'stop' must be a string or an array of at most 16 strings");
      }
    }
  }

  private void checkType(String field, Class<?> type, String what) {
    Object v = json.getValue(field);
    if (v != null && !type.isInstance(v)) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be " + what);
    }
  }

  private void checkInt(String field, long min, long max) {
    Object v = json.getValue(field);
    if (v == null) {
      return;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be an integer from " + min + " to " + max);
    }
  }

  private void checkNumber(String field, double min, double max) {
    Object v = json.getValue(field);
    if (v == null) {
      return;
    }
    double d = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
    if (!(d >= min && d <= max)) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be a number from " + fmt(min) + " to " + fmt(max));
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
