package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/**
 * What the registry knows of one named LLM: {@code name}, {@code type}, {@code status} (loading, ready, failed,
 * unloaded), {@code percent} while loading, {@code model}, {@code slots}, {@code inFlight}, {@code queued},
 * {@code error} when it failed (with {@code retryInMs}, the backoff left before the next request re-initialises it,
 * and {@code failuresInARow}), and its {@code config} with secrets redacted.
 */
@DataObject
public class LlmInfo extends JsonData {

  public LlmInfo(JsonObject json) {
    super(json);
  }

  public String getName() {
    return json.getString("name");
  }

  public String getType() {
    return json.getString("type");
  }

  public String getStatus() {
    return json.getString("status");
  }

  public String getModel() {
    return json.getString("model");
  }

  public int getSlots() {
    return json.getInteger("slots", 0);
  }

  public int getInFlight() {
    return json.getInteger("inFlight", 0);
  }

  public int getQueued() {
    return json.getInteger("queued", 0);
  }

  public JsonObject getConfig() {
    return json.getJsonObject("config", new JsonObject());
  }
}
