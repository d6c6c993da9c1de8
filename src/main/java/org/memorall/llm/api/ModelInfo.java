package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/**
 * One model, as in OpenAI's model list ({@code id}, {@code object}, {@code created}, {@code owned_by}) plus what a
 * local provider knows: {@code loaded}, {@code size_bytes}, {@code path}, ...
 */
@DataObject
public class ModelInfo extends JsonData {

  public ModelInfo(JsonObject json) {
    super(json);
  }

  public static ModelInfo of(String id, String ownedBy) {
    return new ModelInfo(new JsonObject().put("id", id).put("object", "model")
      .put("created", System.currentTimeMillis() / 1000).put("owned_by", ownedBy));
  }

  public String getId() {
    return json.getString("id");
  }

  public boolean isLoaded() {
    return json.getBoolean("loaded", false);
  }

  public ModelInfo put(String field, Object value) {
    json.put(field, value);
    return this;
  }
}
