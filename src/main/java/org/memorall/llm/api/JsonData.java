package org.memorall.llm.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Base of the data objects: each one is a view over a JSON object, so fields this runtime does not know
 * (tools, response_format, logprobs, ...) survive every hop unchanged.
 */
public abstract class JsonData {

  protected final JsonObject json;

  protected JsonData(JsonObject json) {
    this.json = json == null ? new JsonObject() : json;
  }

  /** The underlying JSON, not a copy: changes through setters are visible here. */
  public JsonObject toJson() {
    return json;
  }

  protected Integer intOrNull(String field) {
    Object v = json.getValue(field);
    return v instanceof Number ? ((Number) v).intValue() : null;
  }

  protected Double doubleOrNull(String field) {
    Object v = json.getValue(field);
    return v instanceof Number ? ((Number) v).doubleValue() : null;
  }

  protected JsonArray arrayOrEmpty(String field) {
    Object v = json.getValue(field);
    return v instanceof JsonArray ? (JsonArray) v : new JsonArray();
  }

  @Override
  public String toString() {
    return json.encode();
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass() && ((JsonData) o).json.equals(json);
  }

  @Override
  public int hashCode() {
    return json.hashCode();
  }
}
