package org.memorall.llm.llamacpp;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.CollectingSink;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.story;

/**
 * {@code flashAttention} (on by default) reaches llama.cpp, which then skips the KV cells other slots keep for their
 * prompt cache instead of attending over them (README "Slots and the KV cache's history"; the speed is the
 * benchmark's to show). Either way the story starts the same.
 */
@ExtendWith(VertxExtension.class)
class FlashAttentionTest {

  @TempDir
  Path modelsDir;
  private Harness h;

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      await(h.call(h.provider::stop));
    }
  }

  private String answer(Vertx vertx, JsonObject config, boolean expected) throws Exception {
    h = new Harness(vertx, modelsDir, config.put("parallel", 2));
    await(h.start());
    assertEquals(expected, h.status().getBoolean("flashAttention"));
    // Another generation runs in the other slot meanwhile: decoded in the same batches, its cells must stay masked.
    CollectingSink other = h.chat(new ChatCompletionRequest().withMessage("user", "The dog ran to the park and")
      .setTemperature(0.0).setMaxTokens(2000).setStream(true));
    Harness.eventually("the other generation runs", () -> other.chunks.size() > 2);
    ChatCompletionResponse r = h.complete(story(24));
    assertTrue(other.chunks.size() > 2 && !other.done().isComplete(), "the other generation still runs");
    other.cancel();
    await(h.call(h.provider::stop));
    h = null;
    return r.getContent();
  }

  @Test
  void onByDefaultAndTheStoryStartsTheSameEitherWay(Vertx vertx) throws Exception {
    String on = answer(vertx, new JsonObject(), true);
    String off = answer(vertx, new JsonObject().put("flashAttention", false), false);
    // The first words: later tokens may differ in the last bits of a near tie between the two attention kernels.
    assertTrue(on.startsWith(", there was a little girl"), on);
    assertTrue(off.startsWith(", there was a little girl"), off);
  }

  @Test
  void reachesLlamaCpp() {
    assertTrue(flags(new JsonObject()).contains("--flash-attn"));
    assertFalse(flags(new JsonObject().put("flashAttention", false)).contains("--flash-attn"));
  }

  private static List<String> flags(JsonObject config) {
    return Arrays.asList(LoadedModel.parameters(Path.of("m.gguf"), LlamaCppConfig.parse(config), 1024, null, false)
      .toArray());
  }
}
