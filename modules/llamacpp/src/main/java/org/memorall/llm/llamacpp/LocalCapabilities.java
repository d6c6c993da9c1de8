package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmErrors;

/**
 * What a local model cannot do, refused with a 400 rather than silently ignored: a client that sends tools, asks
 * for log probabilities or sends an image would otherwise take an answer made without them for one made with them
 * (as Ollama refuses tools for a model that cannot call them). The registry sends such a request to the LLM's
 * fallbacks, if it has any. Tools with {@code tool_choice: "none"} are no request to call one: allowed.
 */
final class LocalCapabilities {

  private LocalCapabilities() {
  }

  /** Throws a 400 naming the first request field this provider cannot honour. */
  static void check(ChatCompletionRequest request) {
    JsonObject json = request.toJson();
    boolean toolsOff = "none".equals(json.getValue("tool_choice")) || "none".equals(json.getValue("function_call"));
    for (String key : toolsOff ? new String[0] : new String[]{"tools", "functions"}) {
      if (json.getValue(key) instanceof JsonArray && !json.getJsonArray(key).isEmpty()) {
        throw unsupported(key, "A llamacpp LLM cannot call tools (java-llama.cpp 4.2.0 gives no tool-call parsing): "
          + "remove '" + key + "', or send the request to a remote LLM whose server calls tools");
      }
    }
    Object top = json.getValue("top_logprobs");
    if (Boolean.TRUE.equals(json.getValue("logprobs")) || top instanceof Number && ((Number) top).intValue() > 0) {
      throw unsupported("logprobs", "A llamacpp LLM does not return log probabilities: remove 'logprobs' and "
        + "'top_logprobs'");
    }
    JsonArray messages = json.getValue("messages") instanceof JsonArray ? json.getJsonArray("messages") : new JsonArray();
    for (int i = 0; i < messages.size(); i++) {
      Object message = messages.getValue(i);
      Object content = message instanceof JsonObject ? ((JsonObject) message).getValue("content") : null;
      if (content instanceof JsonArray) {
        JsonArray parts = (JsonArray) content;
        for (int j = 0; j < parts.size(); j++) {
          Object part = parts.getValue(j);
          Object type = part instanceof JsonObject ? ((JsonObject) part).getValue("type") : null;
          if (!"text".equals(type)) {
            String param = "messages[" + i + "].content[" + j + "]";
            throw unsupported(param, "A llamacpp LLM reads text only: '" + param + "' is of type '" + type
              + "'; send text parts");
          }
        }
      }
    }
  }

  private static ServiceException unsupported(String param, String message) {
    return LlmErrors.of(400, "invalid_request_error", param, LlmErrors.UNSUPPORTED_PARAMETER, message);
  }
}
