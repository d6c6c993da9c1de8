package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** An OpenAI {@code chat.completion} object. */
@DataObject
public class ChatCompletionResponse extends JsonData {

  public ChatCompletionResponse(JsonObject json) {
    super(json);
  }

  public static ChatCompletionResponse of(String id, long created, String model, String content, String finishReason,
                                          Usage usage) {
    JsonObject message = new JsonObject().put("role", "assistant").put("content", content);
    JsonObject choice = new JsonObject().put("index", 0).put("message", message).put("finish_reason", finishReason);
    JsonObject json = new JsonObject()
      .put("id", id)
      .put("object", "chat.completion")
      .put("created", created)
      .put("model", model)
      .put("choices", new JsonArray().add(choice));
    if (usage != null) {
      json.put("usage", usage.toJson());
    }
    return new ChatCompletionResponse(json);
  }

  public String getId() {
    return json.getString("id");
  }

  public String getModel() {
    return json.getString("model");
  }

  /** The first choice's message text, or "" when there is none. */
  public String getContent() {
    JsonObject choice = firstChoice();
    JsonObject message = choice == null ? null : choice.getJsonObject("message");
    Object content = message == null ? null : message.getValue("content");
    return content instanceof String ? (String) content : "";
  }

  public String getFinishReason() {
    JsonObject choice = firstChoice();
    return choice == null ? null : choice.getString("finish_reason");
  }

  /**
   * The LLM that answered ({@code served_by}), set on results of the event-bus API; it differs from the LLM asked
   * for when a fallback answered. Not part of OpenAI's object, and not sent over HTTP (the gateway sends the
   * {@code X-LLM-Served-By} header instead).
   */
  public String getServedBy() {
    return json.getString("served_by");
  }

  public ChatCompletionResponse setServedBy(String servedBy) {
    if (servedBy != null) {
      json.put("served_by", servedBy);
    }
    return this;
  }

  public Usage getUsage() {
    JsonObject usage = json.getJsonObject("usage");
    return usage == null ? null : new Usage(usage);
  }

  private JsonObject firstChoice() {
    JsonArray choices = arrayOrEmpty("choices");
    return choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject) ? null : choices.getJsonObject(0);
  }
}
