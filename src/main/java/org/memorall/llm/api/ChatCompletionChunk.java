package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** An OpenAI {@code chat.completion.chunk}: one streamed delta, or the final usage chunk (empty choices). */
@DataObject
public class ChatCompletionChunk extends JsonData {

  public ChatCompletionChunk(JsonObject json) {
    super(json);
  }

  /**
   * A chunk with one choice. {@code role} is set on the first chunk of a stream only; {@code content} and
   * {@code finishReason} may be null.
   */
  public static ChatCompletionChunk delta(String id, long created, String model, String role, String content,
                                          String finishReason) {
    JsonObject delta = new JsonObject();
    if (role != null) {
      delta.put("role", role);
    }
    if (content != null) {
      delta.put("content", content);
    }
    JsonObject choice = new JsonObject().put("index", 0).put("delta", delta).put("finish_reason", finishReason);
    return new ChatCompletionChunk(base(id, created, model).put("choices", new JsonArray().add(choice)));
  }

  /** The last chunk of a stream with {@code stream_options.include_usage}: no choices, only usage. */
  public static ChatCompletionChunk usage(String id, long created, String model, Usage usage) {
    return new ChatCompletionChunk(base(id, created, model).put("choices", new JsonArray()).put("usage", usage.toJson()));
  }

  private static JsonObject base(String id, long created, String model) {
    return new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
  }

  public String getId() {
    return json.getString("id");
  }

  /** The first choice's delta content, or null. */
  public String getContent() {
    JsonObject delta = firstDelta();
    return delta == null ? null : delta.getString("content");
  }

  public String getRole() {
    JsonObject delta = firstDelta();
    return delta == null ? null : delta.getString("role");
  }

  public String getFinishReason() {
    JsonArray choices = arrayOrEmpty("choices");
    return choices.isEmpty() ? null : choices.getJsonObject(0).getString("finish_reason");
  }

  public Usage getUsage() {
    JsonObject usage = json.getJsonObject("usage");
    return usage == null ? null : new Usage(usage);
  }

  private JsonObject firstDelta() {
    JsonArray choices = arrayOrEmpty("choices");
    return choices.isEmpty() ? null : choices.getJsonObject(0).getJsonObject("delta");
  }
}
