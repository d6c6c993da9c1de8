package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** One chat message: {@code role} and {@code content} (a string or an array of content parts). */
@DataObject
public class ChatMessage extends JsonData {

  public ChatMessage(JsonObject json) {
    super(json);
  }

  public static ChatMessage of(String role, String content) {
    return new ChatMessage(new JsonObject().put("role", role).put("content", content));
  }

  public String getRole() {
    return json.getString("role");
  }

  /** The text of the message: the string content, or the text parts joined. */
  public String getContentText() {
    Object c = json.getValue("content");
    if (c instanceof String) {
      return (String) c;
    }
    if (c instanceof JsonArray) {
      StringBuilder sb = new StringBuilder();
      for (Object part : (JsonArray) c) {
        if (part instanceof JsonObject && "text".equals(((JsonObject) part).getString("type"))) {
          sb.append(((JsonObject) part).getString("text", ""));
        }
      }
      return sb.toString();
    }
    return "";
  }
}
