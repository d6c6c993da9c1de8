package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.EmbeddingResponse;

import java.net.http.HttpResponse;
import java.util.Collections;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v1/embeddings} and {@code /llms/{name}/v1/embeddings} on the bundled model in embedding mode. */
@ExtendWith(VertxExtension.class)
class EmbeddingsTest {

  private static final String CAT = "The cat sat on the mat.";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject llms = TestNode.defaultLlms().put("embed", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("embedding", true)));
    TestNode.start(vertx, llms).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  private static JsonObject embeddings(String path, JsonObject body) {
    HttpResponse<String> response = http.post(path, body);
    JsonObject answer = Http.json(response, 200);
    assertEquals("embed", response.headers().firstValue("X-LLM-Served-By").orElse(null));
    return answer;
  }

  @Test
  void answersInOpenAisShapeOnBothUrls() {
    JsonObject answer = embeddings("/v1/embeddings", new JsonObject().put("model", "embed")
      .put("input", new JsonArray().add(CAT).add("Lily went to the park.")));
    assertEquals("list", answer.getString("object"));
    assertEquals("stories260K", answer.getString("model"));
    assertEquals(2, answer.getJsonArray("data").size());
    JsonObject first = answer.getJsonArray("data").getJsonObject(0);
    assertEquals("embedding", first.getString("object"));
    assertEquals(0, first.getInteger("index"));
    assertEquals(64, first.getJsonArray("embedding").size());
    JsonObject usage = answer.getJsonObject("usage");
    assertTrue(usage.getInteger("prompt_tokens") > 0, usage::encode);
    assertEquals(usage.getInteger("prompt_tokens"), usage.getInteger("total_tokens"));
    assertFalse(answer.containsKey("served_by"), "the header names the LLM; the body stays OpenAI's");

    // By path, one string, base64: the same vector as the first of the batch.
    JsonObject byPath = embeddings("/llms/embed/v1/embeddings", new JsonObject().put("input", CAT)
      .put("encoding_format", "base64"));
    assertTrue(byPath.getJsonArray("data").getJsonObject(0).getValue("embedding") instanceof String);
    assertArrayEquals(new EmbeddingResponse(answer).vector(0), new EmbeddingResponse(byPath).vector(0));
  }

  @Test
  void badInputIs400NamingTheField() {
    assertBad(new JsonObject(), "input", "'input' is required");
    assertBad(new JsonObject().put("input", new JsonArray()), "input", "at least one string");
    assertBad(new JsonObject().put("input", 42), "input", "a string or an array of strings");
    assertBad(new JsonObject().put("input", ""), "input", "must not be an empty string");
    assertBad(new JsonObject().put("input", new JsonArray().add("ok").add(7)), "input[1]", "must be a string");
    assertBad(new JsonObject().put("input", new JsonArray(Collections.nCopies(2049, "x"))), "input", "at most 2048");
    assertBad(new JsonObject().put("input", "x").put("encoding_format", "int8"), "encoding_format", "\"float\" or \"base64\"");
    assertBad(new JsonObject().put("input", "x").put("dimensions", "64"), "dimensions", "positive integer");
    assertBad(new JsonObject().put("input", "x").put("dimensions", 32).put("model", "embed"), "dimensions", "not supported");
    assertBad(new JsonObject().put("input", "x").put("model", 3), "model", "must be a string");
    Http.error(http.post("/v1/embeddings", "not json"), 400);
  }

  private static void assertBad(JsonObject body, String param, String says) {
    for (String path : new String[] {"/v1/embeddings", "/llms/embed/v1/embeddings"}) {
      JsonObject error = Http.error(http.post(path, body), 400);
      assertEquals(param, error.getString("param"), error::encode);
      assertTrue(error.getString("message").contains(says), error::encode);
    }
  }

  @Test
  void aChatLlmOrAnUnknownOneIsAClearError() {
    for (JsonObject body : new JsonObject[] {new JsonObject().put("input", CAT),
                                             new JsonObject().put("input", CAT).put("model", "default")}) {
      HttpResponse<String> response = http.post("/v1/embeddings", body);
      JsonObject error = Http.error(response, 400);
      assertEquals("embeddings_not_supported", error.getString("code"));
      assertEquals("model", error.getString("param"));
      assertTrue(error.getString("message").startsWith("LLM 'default' (llamacpp) does not do embeddings"), error::encode);
      assertTrue(error.getString("message").contains("\"embedding\": true"), error::encode);
    }
    JsonObject unknown = Http.error(http.post("/v1/embeddings", new JsonObject().put("input", CAT).put("model", "nope")), 404);
    assertTrue(unknown.getString("message").contains("Available: default, embed"), unknown::encode);
    Http.error(http.post("/llms/nope/v1/embeddings", new JsonObject().put("input", CAT)), 404);
  }
}
