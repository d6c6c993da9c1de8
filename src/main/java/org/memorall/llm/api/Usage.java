package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/** Token counts of one completion. */
@DataObject
public class Usage extends JsonData {

  public Usage(JsonObject json) {
    super(json);
  }

  public static Usage of(int promptTokens, int completionTokens) {
    return new Usage(new JsonObject()
      .put("prompt_tokens", promptTokens)
      .put("completion_tokens", completionTokens)
      .put("total_tokens", promptTokens + completionTokens));
  }

  public int getPromptTokens() {
    return json.getInteger("prompt_tokens", 0);
  }

  public int getCompletionTokens() {
    return json.getInteger("completion_tokens", 0);
  }

  public int getTotalTokens() {
    return json.getInteger("total_tokens", 0);
  }
}
