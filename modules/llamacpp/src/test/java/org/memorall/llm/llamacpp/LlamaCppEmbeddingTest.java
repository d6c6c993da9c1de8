package org.memorall.llm.llamacpp;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmErrors;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/** Embeddings on the bundled model loaded in embedding mode ({@code "embedding": true}). */
@ExtendWith(VertxExtension.class)
class LlamaCppEmbeddingTest {

  static final String CAT = "The cat sat on the mat.";
  static final String DOG = "The dog sat on the rug.";
  static final String PARK = "Lily went to the park with her mom to play on the swings.";

  @TempDir
  Path modelsDir;
  Harness h;

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      await(h.call(h.provider::stop));
    }
  }

  private Harness started(Vertx vertx, JsonObject config) throws Exception {
    h = new Harness(vertx, modelsDir, config);
    await(h.start());
    return h;
  }

  private EmbeddingResponse embed(EmbeddingRequest request) throws Exception {
    return await(h.call(() -> h.provider.embeddings(request.validate())));
  }

  private ServiceException refused(EmbeddingRequest request) throws Exception {
    return failure(h.call(() -> h.provider.embeddings(request.validate())));
  }

  @Test
  void embedsEachInputAsAUnitVectorOfTheModelsSizeWithUsage(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("embedding", true).put("parallel", 1));
    assertEquals(true, h.status().getBoolean("embedding"));
    EmbeddingResponse answer = embed(EmbeddingRequest.of(CAT, PARK));

    JsonObject json = answer.toJson();
    assertEquals("list", json.getString("object"));
    assertEquals("stories260K", answer.getModel());
    JsonArray data = json.getJsonArray("data");
    assertEquals(2, data.size());
    for (int i = 0; i < 2; i++) {
      assertEquals("embedding", data.getJsonObject(i).getString("object"));
      assertEquals(i, data.getJsonObject(i).getInteger("index"));
      float[] v = answer.vector(i);
      assertEquals(64, v.length, "the bundled model's embedding size (n_embd)");
      assertEquals(1.0, norm(v), 1e-4, "llama.cpp normalises pooled embeddings");
    }
    // Usage counts tokens with the model's tokenizer, BOS included, as a chat prompt's are counted.
    int cat = embed(EmbeddingRequest.of(CAT)).getUsage().getPromptTokens();
    int park = embed(EmbeddingRequest.of(PARK)).getUsage().getPromptTokens();
    assertEquals(11, cat, "10 tokens + BOS");
    assertEquals(cat + park, answer.getUsage().getPromptTokens());
    assertEquals(cat + park, answer.getUsage().getTotalTokens());
    assertFalse(json.getJsonObject("usage").containsKey("completion_tokens"), "OpenAI's embedding usage shape");
  }

  @Test
  void vectorsAreDeterministicDistinctAndKeepTheOrderOfABatch(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("embedding", true));
    float[] cat = embed(new EmbeddingRequest(new JsonObject().put("input", CAT))).vector(0);
    EmbeddingResponse batch = embed(EmbeddingRequest.of(PARK, CAT, DOG));
    assertArrayEquals(cat, batch.vector(1), "the same text gives the same vector, alone or in a batch");
    float[] park = batch.vector(0);
    float[] dog = batch.vector(2);
    assertFalse(Arrays.equals(cat, park));
    assertFalse(Arrays.equals(cat, dog));
    // A 260K-parameter story model knows little meaning, but a sentence of the same shape is closer than an
    // unrelated one (measured: 0.985 against 0.902).
    assertTrue(EmbeddingResponse.cosine(cat, dog) > EmbeddingResponse.cosine(cat, park),
      () -> "cat/dog " + EmbeddingResponse.cosine(cat, dog) + ", cat/park " + EmbeddingResponse.cosine(cat, park));
  }

  @Test
  void base64IsTheLittleEndianFloatsOfTheSameVector(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("embedding", true));
    float[] floats = embed(EmbeddingRequest.of(CAT)).vector(0);
    EmbeddingResponse base64 = embed(EmbeddingRequest.of(CAT).setEncodingFormat("base64"));
    assertTrue(base64.toJson().getJsonArray("data").getJsonObject(0).getValue("embedding") instanceof String);
    assertArrayEquals(floats, base64.vector(0));
  }

  @Test
  void anEmbeddingLlmStillChats(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("embedding", true));
    // Measured with java-llama.cpp 4.2.0: embedding mode and generation coexist in one model, same greedy text.
    assertTrue(h.complete(story(8)).getContent().startsWith(", there was a little girl"));
    assertEquals(64, embed(EmbeddingRequest.of(CAT)).vector(0).length);
  }

  @Test
  void aChatLlmSaysWhatToConfigure(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    ServiceException e = refused(EmbeddingRequest.of(CAT));
    assertEquals(400, e.failureCode());
    assertEquals(LlmErrors.EMBEDDINGS_NOT_SUPPORTED, e.getDebugInfo().getString("code"));
    assertEquals("model", e.getDebugInfo().getString("param"));
    assertTrue(e.getMessage().contains("LLM 'test' (llamacpp) does not do embeddings"), e.getMessage());
    assertTrue(e.getMessage().contains("\"embedding\": true"), e.getMessage());
  }

  @Test
  void refusesDimensionsAndInputsLongerThanASlot(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("embedding", true).put("parallel", 1).put("contextSize", 64));
    ServiceException dimensions = refused(new EmbeddingRequest(EmbeddingRequest.of(CAT).toJson()
      .put("dimensions", 32)));
    assertEquals(400, dimensions.failureCode());
    assertEquals("dimensions", dimensions.getDebugInfo().getString("param"));

    String longText = "the cat sat on the mat and ".repeat(20);
    ServiceException tooLong = refused(EmbeddingRequest.of(CAT, longText));
    assertEquals(400, tooLong.failureCode());
    assertEquals("input[1]", tooLong.getDebugInfo().getString("param"));
    assertEquals("input_too_long", tooLong.getDebugInfo().getString("code"));
    assertTrue(tooLong.getMessage().contains("at most 64 tokens per input"), tooLong.getMessage());
    assertEquals(64, embed(EmbeddingRequest.of(CAT)).vector(0).length, "the LLM still works");
  }

  @Test
  void poolingIsCheckedAtCreation() {
    IllegalArgumentException mean = assertThrows(IllegalArgumentException.class,
      () -> LlamaCppConfig.parse(new JsonObject().put("embedding", true).put("pooling", "mean")));
    assertTrue(mean.getMessage().contains("aborts"), mean.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LlamaCppConfig.parse(new JsonObject().put("pooling", "max")));
    assertThrows(IllegalArgumentException.class, () -> LlamaCppConfig.parse(new JsonObject().put("embedding", "yes")));
    assertEquals(de.kherud.llama.args.PoolingType.CLS, LlamaCppConfig.parse(new JsonObject().put("pooling", "cls")).pooling);
  }

  private static double norm(float[] v) {
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    return Math.sqrt(n);
  }
}
