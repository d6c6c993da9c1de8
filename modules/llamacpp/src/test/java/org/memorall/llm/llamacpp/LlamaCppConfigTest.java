package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.ProviderFactory;

import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlamaCppConfigTest {

  private final LlamaCppProviderFactory factory = new LlamaCppProviderFactory();

  @Test
  void registeredThroughServiceLoader() {
    ProviderFactory found = ServiceLoader.load(ProviderFactory.class).stream().map(ServiceLoader.Provider::get)
      .filter(f -> f.types().contains("wllama")).findFirst().orElseThrow();
    assertEquals(LlamaCppProviderFactory.class, found.getClass());
    assertEquals(List.of("llamacpp", "wllama"), found.types());
  }

  @Test
  void defaults() {
    LlamaCppConfig c = LlamaCppConfig.parse(new JsonObject());
    assertNull(c.model);
    assertEquals(2, c.parallel);
    assertEquals(LlamaCppConfig.defaultThreads(Runtime.getRuntime().availableProcessors()), c.threads);
    assertNull(c.contextSize);
    assertNull(c.chatTemplate);
    assertEquals(512, c.maxTokens);
    assertEquals(false, c.nativeLog);
    assertTrue(c.flashAttention);
    assertEquals(false, LlamaCppConfig.parse(new JsonObject().put("flashAttention", false)).flashAttention);
    assertNull(c.hubEndpoint);
    assertEquals("http://127.0.0.1:9/hub", LlamaCppConfig.parse(new JsonObject().put("hubEndpoint", "http://127.0.0.1:9/hub")).hubEndpoint);
    assertEquals(2, factory.create("wllama", new JsonObject()).slots());
    assertEquals(4, factory.create("llamacpp", new JsonObject().put("parallel", 4)).slots());
  }

  @Test
  void threadsDefaultToOneOnSmallMachines() {
    assertEquals(1, LlamaCppConfig.defaultThreads(1));
    assertEquals(1, LlamaCppConfig.defaultThreads(2));
    assertEquals(1, LlamaCppConfig.defaultThreads(4));
    assertEquals(3, LlamaCppConfig.defaultThreads(8));
    assertEquals(7, LlamaCppConfig.defaultThreads(16));
  }

  @Test
  void badSettingsNameTheKey() {
    bad("parallel", new JsonObject().put("parallel", 0), "'parallel' must be an integer from 1 to 64");
    bad("parallel", new JsonObject().put("parallel", 65), "'parallel' must be an integer from 1 to 64");
    bad("parallel", new JsonObject().put("parallel", "2"), "'parallel' must be an integer from 1 to 64");
    bad("threads", new JsonObject().put("threads", 0), "'threads' must be an integer");
    bad("threads", new JsonObject().put("threads", 1.5), "'threads' must be an integer");
    bad("contextSize", new JsonObject().put("contextSize", 10), "'contextSize' must be an integer");
    bad("contextSize", new JsonObject().put("contextSize", 100).put("parallel", 4), "fewer than 32 tokens per slot");
    bad("model", new JsonObject().put("model", ""), "'model' must be a path to a GGUF file");
    bad("model", new JsonObject().put("model", 3), "'model' must be a path to a GGUF file");
    bad("hubEndpoint", new JsonObject().put("hubEndpoint", "huggingface.co"), "'hubEndpoint' must be an http(s) URL");
    bad("hubEndpoint", new JsonObject().put("hubEndpoint", 1), "'hubEndpoint' must be an http(s) URL");
    bad("chatTemplate", new JsonObject().put("chatTemplate", true), "'chatTemplate' must be");
    bad("seed", new JsonObject().put("seed", "42"), "'seed' must be an integer");
    bad("nativeLog", new JsonObject().put("nativeLog", "yes"), "'nativeLog' must be true or false");
    bad("flashAttention", new JsonObject().put("flashAttention", "on"), "'flashAttention' must be true or false");
    bad("embedding", new JsonObject().put("embedding", 1), "'embedding' must be true or false");
    bad("maxTokens", new JsonObject().put("maxTokens", 0), "'maxTokens' must be an integer");
  }

  @Test
  void unknownKeysAreLeftAlone() {
    assertEquals(2, factory.create("llamacpp", new JsonObject().put("queueSize", 10).put("fallback", "gpt")).slots());
  }

  @Test
  void unknownTypeIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> factory.create("openai", new JsonObject()));
    assertTrue(e.getMessage().contains("openai"), e.getMessage());
  }

  private void bad(String key, JsonObject config, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> factory.create("llamacpp", config), key);
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
  }
}
