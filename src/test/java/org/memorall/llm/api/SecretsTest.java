package org.memorall.llm.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SecretsTest {

  @Test
  void redactsSecretsAtAnyDepthAndKeepsTokenCounts() {
    JsonObject config = new JsonObject()
      .put("apiKey", "sk-1").put("hfToken", "hf-2").put("access_token", "a-3").put("password", "p")
      .put("headers", new JsonObject().put("Authorization", "Bearer x").put("X-Trace", "on"))
      .put("list", new JsonArray().add(new JsonObject().put("secret", "s")))
      .put("maxTokens", 512).put("defaults", new JsonObject().put("max_tokens", 64)).put("parallel", 2);
    JsonObject redacted = Secrets.redact(config);
    assertEquals("***", redacted.getString("apiKey"));
    assertEquals("***", redacted.getString("hfToken"));
    assertEquals("***", redacted.getString("access_token"));
    assertEquals("***", redacted.getString("password"));
    assertEquals("***", redacted.getJsonObject("headers").getString("Authorization"));
    assertEquals("on", redacted.getJsonObject("headers").getString("X-Trace"));
    assertEquals("***", redacted.getJsonArray("list").getJsonObject(0).getString("secret"));
    assertEquals(512, redacted.getInteger("maxTokens"));
    assertEquals(64, redacted.getJsonObject("defaults").getInteger("max_tokens"));
    assertEquals(2, redacted.getInteger("parallel"));
    assertEquals("sk-1", config.getString("apiKey"), "the original is left alone");
  }
}
