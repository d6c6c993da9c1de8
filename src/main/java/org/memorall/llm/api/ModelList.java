package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** OpenAI's {@code {"object":"list","data":[...]}} of models. */
@DataObject
public class ModelList extends JsonData {

  public ModelList(JsonObject json) {
    super(json);
  }

  public static ModelList of(List<ModelInfo> models) {
    JsonArray data = new JsonArray();
    models.forEach(m -> data.add(m.toJson()));
    return new ModelList(new JsonObject().put("object", "list").put("data", data));
  }

  public List<ModelInfo> getData() {
    List<ModelInfo> list = new ArrayList<>();
    for (Object o : arrayOrEmpty("data")) {
      list.add(new ModelInfo((JsonObject) o));
    }
    return list;
  }
}
