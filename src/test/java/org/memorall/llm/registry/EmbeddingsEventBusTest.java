package org.memorall.llm.registry;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.Awaits;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmService;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embeddings over the event bus: {@link LlmService#embeddings} and {@link LlmClient#embeddings}, real models. */
class EmbeddingsEventBusTest {

  private static final String CAT = "The cat sat on the mat.";
  private static final String DOG = "The dog sat on the rug.";

  @TempDir
  Path modelsDir;
  private Vertx vertx;
  private LlmClient client;
  private LlmService service;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    JsonObject llms = new JsonObject()
      .put("default", new JsonObject().put("type", "llamacpp").put("config", new JsonObject().put("parallel", 1)))
      .put("embed", new JsonObject().put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1).put("embedding", true)));
    vertx.deployVerticle(new RegistryVerticle(new RegistryConfig(new JsonObject().put("llms", llms), modelsDir)))
      .await(30, TimeUnit.SECONDS);
    client = LlmClient.create(vertx);
    service = client.service();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void theLlmIsNamedByTheClientOrTheRequestsModel() throws Exception {
    EmbeddingResponse named = client.embeddings("embed", EmbeddingRequest.of(CAT, DOG)).await(30, TimeUnit.SECONDS);
    assertEquals("embed", named.getServedBy());
    assertEquals(2, named.size());
    assertEquals(64, named.vector(0).length);
    assertEquals(named.getUsage().getPromptTokens(), named.getUsage().getTotalTokens());

    EmbeddingResponse byModel = service.embeddings(EmbeddingRequest.of(CAT, DOG).setModel("embed"))
      .await(30, TimeUnit.SECONDS);
    assertEquals("embed", byModel.getServedBy());
    assertArrayEquals(named.vector(0), byModel.vector(0));
    assertArrayEquals(named.vector(1), byModel.vector(1));
    assertArrayEquals(named.vector(1), service.embeddingsFor("embed", EmbeddingRequest.of(DOG))
      .await(30, TimeUnit.SECONDS).vector(0));
  }

  @Test
  void aChatLlmAnUnknownLlmAndBadInputAreClearErrors() throws Exception {
    ServiceException chat = Awaits.failure(service.embeddings(EmbeddingRequest.of(CAT)), 30);
    assertEquals(400, chat.failureCode());
    assertEquals(LlmErrors.EMBEDDINGS_NOT_SUPPORTED, chat.getDebugInfo().getString("code"));
    assertTrue(chat.getMessage().startsWith("LLM 'default' (llamacpp) does not do embeddings"), chat.getMessage());

    ServiceException unknown = Awaits.failure(client.embeddings("nope", EmbeddingRequest.of(CAT)), 30);
    assertEquals(404, unknown.failureCode());
    assertTrue(unknown.getMessage().contains("Available: default, embed"), unknown.getMessage());

    ServiceException missing = Awaits.failure(client.embeddings("embed", new EmbeddingRequest()), 30);
    assertEquals(400, missing.failureCode());
    assertEquals("input", missing.getDebugInfo().getString("param"));
    ServiceException tokens = Awaits.failure(client.embeddings("embed",
      new EmbeddingRequest(new JsonObject().put("input", new JsonArray().add(new JsonArray().add(1).add(2))))), 30);
    assertEquals("input[0]", tokens.getDebugInfo().getString("param"));
    assertTrue(tokens.getMessage().contains("token arrays are not supported"), tokens.getMessage());
  }
}
