package org.memorall.llm.clients;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memorall.llm.TestNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LangChain4j's OpenAI client (its own HTTP client, JSON mapping and SSE parsing) pointed at the gateway, as a user
 * of the README's "point any OpenAI SDK, LangChain4j or curl at it" would: chat, streaming, embeddings, errors.
 */
class LangChain4jClientTest {

  private static final String STORY = ", there was a little girl";
  private static Vertx vertx;
  private static String baseUrl;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    JsonObject llms = TestNode.defaultLlms().put("embed", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("embedding", true).put("parallel", 1)));
    int port = TestNode.start(vertx, llms).await(60, TimeUnit.SECONDS);
    baseUrl = "http://127.0.0.1:" + port + "/v1";
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static OpenAiChatModel.OpenAiChatModelBuilder chat(String model) {
    return OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("not-needed").modelName(model).temperature(0.0)
      .maxTokens(8);
  }

  @Test
  void chatAnswersWithTheFinishReasonAndUsage() {
    ChatResponse response = chat("default").build().chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
      .messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time")).build());
    assertEquals(STORY, response.aiMessage().text());
    assertEquals(FinishReason.LENGTH, response.finishReason());
    assertEquals(8, response.tokenUsage().outputTokenCount());
    assertTrue(response.tokenUsage().inputTokenCount() > 0);
  }

  @Test
  void streamingDeliversTheSameTextInPieces() throws Exception {
    OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("not-needed")
      .modelName("default").temperature(0.0).maxTokens(8).build();
    List<String> pieces = new ArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    model.chat("Once upon a time", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partial) {
        pieces.add(partial);
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    });
    ChatResponse response = done.get(60, TimeUnit.SECONDS);
    assertTrue(pieces.size() > 1, "streamed in pieces: " + pieces);
    assertEquals(STORY, String.join("", pieces));
    assertEquals(STORY, response.aiMessage().text());
    assertEquals(FinishReason.LENGTH, response.finishReason());
  }

  @Test
  void embeddingsHaveTheModelsSize() {
    OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(baseUrl).apiKey("not-needed")
      .modelName("embed").build();
    Response<Embedding> cat = model.embed("The cat sat on the mat.");
    assertEquals(64, cat.content().vector().length);
    double norm = 0;
    for (float v : cat.content().vector()) {
      norm += v * v;
    }
    assertEquals(1.0, Math.sqrt(norm), 1e-3);
  }

  @Test
  void anUnknownModelFailsWithTheGatewaysMessage() {
    RuntimeException e = assertThrows(RuntimeException.class, () -> chat("nope").build().chat("Hello"));
    assertTrue(String.valueOf(e.getMessage()).contains("LLM 'nope' not found. Available: default, embed"),
      e.getClass().getName() + ": " + e.getMessage());
  }
}
