package org.memorall.llm.openai;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.ProviderFactory;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings are checked when the LLM is created; a bad one fails at once, naming the key. */
class OpenAiConfigTest {

  private static OpenAiConfig parse(String type, JsonObject config) {
    return OpenAiConfig.parse(type, config);
  }

  private static String rejected(String type, JsonObject config) {
    // Through the factory, as the registry calls it.
    return assertThrows(IllegalArgumentException.class, () -> ProviderHarness.factory(type).create(type, config)).getMessage();
  }

  @Test
  void eachTypeHasItsOwnFactory() {
    for (String type : List.of("openai", "lmstudio", "ollama")) {
      ProviderFactory f = ProviderHarness.factory(type);
      assertEquals(List.of(type), f.types(), "canonical, not an alias, so LlmInfo shows " + type);
    }
  }

  @Test
  void openAiWithoutAKeyIsRefused() {
    String message = rejected("openai", new JsonObject());
    assertTrue(message.startsWith("'apiKey' is required for https://api.openai.com/v1"), message);
    assertTrue(rejected("openai", new JsonObject().put("apiKey", "  ")).startsWith("'apiKey' is required"));
    rejected("lmstudio", new JsonObject().put("baseURL", "https://api.openai.com/v1"));
    assertTrue(rejected("openai", new JsonObject().put("apiKey", 42)).contains("'apiKey' must be a string"));
  }

  @Test
  void defaults() {
    OpenAiConfig openai = parse("openai", new JsonObject().put("apiKey", "sk-1"));
    assertEquals("https://api.openai.com/v1", openai.displayUrl());
    assertEquals(443, openai.port());
    assertTrue(openai.ssl());
    assertEquals("/v1/chat/completions", openai.uri(UpstreamEndpoint.CHAT));
    assertEquals(32, openai.maxConcurrency);
    assertEquals(10_000, openai.timeouts.connectMs);
    assertEquals(60_000, openai.timeouts.firstTokenMs);
    assertEquals(60_000, openai.timeouts.idleMs);
    assertEquals(600_000, openai.timeouts.totalMs);
    assertNull(openai.model);

    OpenAiConfig lmstudio = parse("lmstudio", new JsonObject());
    assertEquals("http://localhost:1234/v1", lmstudio.displayUrl());
    assertNull(lmstudio.apiKey);
    assertEquals(1234, lmstudio.port());
    assertFalse(lmstudio.ssl());
    assertEquals("http://localhost:11434/v1", parse("ollama", new JsonObject()).displayUrl());
  }

  @Test
  void localServersNeedNoKey() {
    for (String url : List.of("http://localhost:1234/v1", "http://127.0.0.1:8080/v1", "http://0.0.0.0:11434/v1",
      "http://[::1]:1234/v1", "http://LOCALHOST:1234/v1/")) {
      OpenAiConfig c = parse("openai", new JsonObject().put("baseURL", url));
      assertNull(c.apiKey, url);
    }
    assertEquals("/v1/models", parse("openai", new JsonObject().put("baseURL", "http://localhost:1234/v1/")).uri(UpstreamEndpoint.MODELS));
  }

  @Test
  void badBaseUrlsAreRefused() {
    for (Object url : List.of("localhost:1234/v1", "ftp://localhost/v1", "http://", "not a url", "http://user:pw@localhost/v1",
      "http://localhost/v1#x", 1234)) {
      String message = rejected("lmstudio", new JsonObject().put("baseURL", url));
      assertTrue(message.contains("'baseURL'"), url + ": " + message);
      assertFalse(message.contains("pw@"), message);
    }
  }

  @Test
  void badTimeoutsAreRefused() {
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", new JsonObject().put("idleMs", 0)))
      .contains("'timeouts.idleMs' must be a positive integer"));
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", new JsonObject().put("totalMs", -5))).contains("'timeouts.totalMs'"));
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", new JsonObject().put("connectMs", "10s"))).contains("'timeouts.connectMs'"));
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", new JsonObject().put("firstTokenMs", 1.5))).contains("'timeouts.firstTokenMs'"));
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", new JsonObject().put("firstTokenMS", 100))).contains("'timeouts.firstTokenMS' is not a setting"));
    assertTrue(rejected("ollama", new JsonObject().put("timeouts", 100)).contains("'timeouts' must be an object"));
    Timeouts t = parse("ollama", new JsonObject().put("timeouts", new JsonObject().put("idleMs", 1500))).timeouts;
    assertEquals(1500, t.idleMs);
    assertEquals(60_000, t.firstTokenMs, "the others keep their defaults");
  }

  @Test
  void otherKeysAreTypeChecked() {
    assertTrue(rejected("ollama", new JsonObject().put("model", 3)).contains("'model'"));
    assertTrue(rejected("ollama", new JsonObject().put("model", "")).contains("'model'"));
    assertTrue(rejected("ollama", new JsonObject().put("organization", new JsonArray())).contains("'organization'"));
    assertTrue(rejected("ollama", new JsonObject().put("project", true)).contains("'project'"));
    assertTrue(rejected("ollama", new JsonObject().put("headers", "X-A: b")).contains("'headers' must be an object"));
    assertTrue(rejected("ollama", new JsonObject().put("headers", new JsonObject().put("X-A", 1))).contains("'headers.X-A'"));
    assertTrue(rejected("ollama", new JsonObject().put("headers", new JsonObject().put("X-A", "a\r\nX-B: b"))).contains("'headers.X-A'"));
    assertTrue(rejected("ollama", new JsonObject().put("headers", new JsonObject().put("bad name", "v"))).contains("not a valid header name"));
    assertTrue(rejected("ollama", new JsonObject().put("headers", new JsonObject().put("Content-Length", "1"))).contains("cannot be configured"));
    assertTrue(rejected("ollama", new JsonObject().put("maxConcurrency", 0)).contains("'maxConcurrency' must be an integer from 1 to 1024"));
    assertTrue(rejected("ollama", new JsonObject().put("maxConcurrency", "4")).contains("'maxConcurrency'"));
    assertTrue(rejected("ollama", new JsonObject().put("apiKey", "sk-1\nX: y")).contains("'apiKey' must not contain control characters"));
  }

  @Test
  void unknownKeysAreLeftToTheRegistry() {
    OpenAiConfig c = parse("lmstudio", new JsonObject().put("type", "lmstudio").put("fallbacks", new JsonArray().add("default")));
    assertEquals("lmstudio", c.type);
  }

  @Test
  void theKeyNeverAppearsInErrors() {
    String message = rejected("openai", new JsonObject().put("apiKey", "sk-secret-777").put("maxConcurrency", -1));
    assertFalse(message.contains("sk-secret-777"), message);
  }
}
