package org.memorall.llm.persona;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.ServeRequest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Personas on a full node (registry, gateway, the real bundled model as "default"). The bundled model's plain
 * template joins message texts with "\n", so a persona must answer exactly like "default" asked with the
 * persona's system message added by hand (greedy decoding).
 */
@ExtendWith(VertxExtension.class)
class PersonaTest {

  private static final String SYSTEM = "Once upon a time";
  private static Vertx vertx;
  private static LlmService registry;
  private static LlmClient client;
  private static int port;

  @BeforeAll
  static void start(Vertx v, VertxTestContext ctx) {
    vertx = v;
    client = LlmClient.create(vertx);
    registry = client.service();
    TestNode.start(vertx, TestNode.defaultLlms())
      .compose(p -> {
        port = p;
        return registry.create("storyteller", "persona", new JsonObject().put("llm", "default").put("system", SYSTEM));
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  private static ChatCompletionRequest chat(int maxTokens, String... roleAndContent) {
    ChatCompletionRequest request = new ChatCompletionRequest().setMaxTokens(maxTokens).setTemperature(0.0);
    for (int i = 0; i < roleAndContent.length; i += 2) {
      request.withMessage(roleAndContent[i], roleAndContent[i + 1]);
    }
    return request;
  }

  private static String complete(String llm, ChatCompletionRequest request) throws Exception {
    return registry.chatCompletionsFor(llm, request).await(30, TimeUnit.SECONDS).getContent();
  }

  private static String stream(String llm, ChatCompletionRequest request) throws Exception {
    Promise<String> done = Promise.promise();
    StringBuilder text = new StringBuilder();
    List<String> roles = new ArrayList<>();
    vertx.runOnContext(v -> client.streamChatCompletions(llm, request)
      .handler(chunk -> {
        roles.add(chunk.getRole());
        text.append(chunk.getContent() == null ? "" : chunk.getContent());
      })
      .exceptionHandler(done::tryFail)
      .endHandler(e -> done.tryComplete(text.toString())));
    String result = done.future().await(30, TimeUnit.SECONDS);
    assertEquals("assistant", roles.get(0), "the first chunk carries the role");
    return result;
  }

  @Test
  void answersLikeTheWrappedLlmWithTheSystemPromptAdded() throws Exception {
    String direct = complete("default", chat(24, "system", SYSTEM, "user", "Tom had a red ball."));
    assertNotEquals(complete("default", chat(24, "user", "Tom had a red ball.")), direct, "the prompt matters");
    assertEquals(direct, complete("storyteller", chat(24, "user", "Tom had a red ball.")));
    assertEquals(direct, stream("storyteller", chat(24, "user", "Tom had a red ball.")));

    // prepend (the default mode) keeps the client's own system message after the persona's
    String both = complete("default", chat(16, "system", SYSTEM, "system", "The sun was hot.", "user", "Tom ran."));
    assertEquals(both, complete("storyteller", chat(16, "system", "The sun was hot.", "user", "Tom ran.")));
  }

  @Test
  void servesThroughTheHttpGateway() throws Exception {
    String direct = complete("default", chat(20, "system", SYSTEM, "user", "Sue saw a cat."));
    JsonObject body = chat(20, "user", "Sue saw a cat.").toJson().put("model", "storyteller");
    HttpResponse<String> plain = post(body);
    assertEquals(200, plain.statusCode(), plain.body());
    JsonObject response = new JsonObject(plain.body());
    assertEquals(direct, response.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));

    HttpResponse<String> sse = post(body.copy().put("stream", true));
    assertEquals(200, sse.statusCode(), sse.body());
    assertTrue(sse.body().endsWith("data: [DONE]\n\n"), sse.body());
    StringBuilder text = new StringBuilder();
    for (String event : sse.body().split("\n\n")) {
      if (!event.equals("data: [DONE]")) {
        JsonObject chunk = new JsonObject(event.substring("data: ".length()));
        text.append(chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content", ""));
      }
    }
    assertEquals(direct, text.toString());
  }

  @Test
  void replaceModeDropsTheClientsSystemMessages() throws Exception {
    registry.create("narrator", "persona", new JsonObject().put("llm", "default").put("system", SYSTEM)
      .put("mode", "replace")).await(10, TimeUnit.SECONDS);
    String direct = complete("default", chat(16, "system", SYSTEM, "user", "Ben had a dog."));
    assertEquals(direct, complete("narrator",
      chat(16, "system", "The sun was hot.", "developer", "Be sad.", "user", "Ben had a dog.")));
    assertEquals("replace", registry.getInfo("narrator").await(10, TimeUnit.SECONDS).toJson().getString("mode"));
  }

  @Test
  void defaultsApplyOnlyWhenTheClientSetNone() throws Exception {
    registry.create("brief", "persona", new JsonObject().put("llm", "default").put("system", SYSTEM)
      .put("defaults", new JsonObject().put("max_tokens", 5).put("temperature", 0))).await(10, TimeUnit.SECONDS);
    ChatCompletionRequest bare = new ChatCompletionRequest().withMessage("user", "Mia had a hat.");
    var defaulted = registry.chatCompletionsFor("brief", bare).await(30, TimeUnit.SECONDS);
    assertEquals(5, defaulted.getUsage().getCompletionTokens());
    String greedy = complete("default", chat(5, "system", SYSTEM, "user", "Mia had a hat."));
    assertEquals(greedy, defaulted.getContent(), "temperature 0 came from the defaults");
    var own = registry.chatCompletionsFor("brief", bare.copy().setMaxTokens(9)).await(30, TimeUnit.SECONDS);
    assertEquals(9, own.getUsage().getCompletionTokens());
  }

  @Test
  void cancelAndRemovalStopTheWrappedGeneration() throws Exception {
    registry.create("engine", "llamacpp", new JsonObject().put("parallel", 1)).await(30, TimeUnit.SECONDS);
    registry.create("bard", "persona", new JsonObject().put("llm", "engine").put("system", SYSTEM))
      .await(10, TimeUnit.SECONDS);
    ChatCompletionRequest endless = chat(2000, "user", "Tom ran.");
    endless.toJson().put("ignore_eos", true);

    Promise<Integer> cancelled = Promise.promise();
    AtomicInteger seen = new AtomicInteger();
    vertx.runOnContext(v -> {
      LlmStream<ChatCompletionChunk> s = client.streamChatCompletions("bard", endless);
      s.handler(chunk -> {
        if (seen.incrementAndGet() == 3) {
          s.cancel();
          cancelled.complete(3);
        }
      }).exceptionHandler(cancelled::tryFail);
    });
    cancelled.future().await(30, TimeUnit.SECONDS);
    long first = awaitIdle("engine").toJson().getLong("tokensGenerated");
    assertTrue(first < 1000, "the wrapped generation went on after cancel: " + first + " tokens");

    // Removing the persona mid-stream fails its stream and stops the wrapped generation too.
    Promise<Throwable> failed = Promise.promise();
    AtomicInteger count = new AtomicInteger();
    vertx.runOnContext(v -> client.streamChatCompletions("bard", endless).handler(chunk -> {
      if (count.incrementAndGet() == 3) {
        registry.remove("bard");
      }
    }).exceptionHandler(failed::tryComplete).endHandler(e -> failed.tryFail("ended")));
    assertEquals(503, ((ServiceException) failed.future().await(30, TimeUnit.SECONDS)).failureCode());
    long second = awaitIdle("engine").toJson().getLong("tokensGenerated") - first;
    assertTrue(second < 1000, "the wrapped generation went on after removal: " + second + " tokens");
    registry.remove("engine").await(10, TimeUnit.SECONDS);
  }

  @Test
  void anUnknownWrappedLlmIsA404AtRequestTime() throws Exception {
    LlmInfo ghost = registry.create("ghost", "persona", new JsonObject().put("llm", "nope").put("system", SYSTEM))
      .await(10, TimeUnit.SECONDS);
    assertEquals("ready", ghost.getStatus());
    ServiceException e = failure(registry.chatCompletionsFor("ghost", chat(4, "user", "Hi")));
    assertEquals(404, e.failureCode());
    assertTrue(e.getMessage().startsWith("LLM 'nope' not found. Available: default, storyteller"), e.getMessage());
    assertTrue(e.getMessage().contains("ghost"), e.getMessage());

    HttpResponse<String> http = post(chat(4, "user", "Hi").toJson().put("model", "ghost").put("stream", true));
    assertEquals(404, http.statusCode(), http.body());
    assertTrue(new JsonObject(http.body()).getJsonObject("error").getString("message").contains("'nope' not found"));
    assertEquals(404, failure(registry.models("ghost")).failureCode());
  }

  @Test
  void wrappingItselfFailsCreate() throws Exception {
    ServiceException self = failure(registry.create("loop", "persona", new JsonObject().put("llm", "loop").put("system", "x")));
    assertEquals(400, self.failureCode());
    assertTrue(self.getMessage().contains("cannot wrap itself: loop -> loop"), self.getMessage());

    registry.create("ping", "persona", new JsonObject().put("llm", "pong").put("system", "x")).await(10, TimeUnit.SECONDS);
    ServiceException cycle = failure(registry.create("pong", "persona", new JsonObject().put("llm", "ping").put("system", "x")));
    assertEquals(400, cycle.failureCode());
    assertTrue(cycle.getMessage().contains("pong -> ping -> pong"), cycle.getMessage());
    assertEquals(false, registry.has("pong").await(10, TimeUnit.SECONDS));

    ServiceException bad = failure(registry.create("bad", "persona", new JsonObject().put("system", "x")));
    assertEquals(400, bad.failureCode());
    assertTrue(bad.getMessage().contains("'llm' is required"), bad.getMessage());
  }

  @Test
  void managesModelsOnlyThroughTheWrappedLlm() throws Exception {
    LlmInfo info = registry.getInfo("storyteller").await(10, TimeUnit.SECONDS);
    assertEquals("persona", info.getType());
    assertEquals("ready", info.getStatus());
    assertEquals(16, info.getSlots());
    assertEquals("default", info.toJson().getString("llm"));
    assertEquals("prepend", info.toJson().getString("mode"));
    assertEquals(SYSTEM.length(), info.toJson().getInteger("systemChars"));

    assertEquals(registry.models("default").await(10, TimeUnit.SECONDS).toJson(),
      registry.models("storyteller").await(10, TimeUnit.SECONDS).toJson());
    for (Future<?> call : new Future<?>[] {registry.serve("storyteller", ServeRequest.path("/tmp/x.gguf")),
      registry.unload("storyteller", "stories260K"), registry.delete("storyteller", "stories260K")}) {
      ServiceException e = failure(call);
      assertEquals(400, e.failureCode());
      assertTrue(e.getMessage().contains("through LLM 'default'"), e.getMessage());
    }
  }

  @Test
  void embeddingsAreTheWrappedLlmsWithoutTheSystemPrompt() throws Exception {
    registry.create("vectors", "llamacpp", new JsonObject().put("parallel", 1).put("embedding", true))
      .await(30, TimeUnit.SECONDS);
    registry.create("librarian", "persona", new JsonObject().put("llm", "vectors").put("system", SYSTEM))
      .await(10, TimeUnit.SECONDS);
    try {
      EmbeddingRequest request = EmbeddingRequest.of("The cat sat on the mat.", "Tom had a red ball.");
      EmbeddingResponse direct = client.embeddings("vectors", request).await(30, TimeUnit.SECONDS);
      EmbeddingResponse persona = client.embeddings("librarian", request).await(30, TimeUnit.SECONDS);
      assertEquals("librarian", persona.getServedBy());
      assertEquals(2, persona.size());
      assertArrayEquals(direct.vector(0), persona.vector(0));
      assertArrayEquals(direct.vector(1), persona.vector(1));
      assertEquals(direct.getUsage().getPromptTokens(), persona.getUsage().getPromptTokens(), "only the input is embedded");

      // Over HTTP the request's model names the persona; the wrapped LLM answers as if asked itself.
      JsonObject body = new JsonObject().put("input", "Tom had a red ball.");
      HttpResponse<String> viaPersona = post("/v1/embeddings", body.copy().put("model", "librarian"));
      HttpResponse<String> viaWrapped = post("/v1/embeddings", body.copy().put("model", "vectors"));
      assertEquals(200, viaPersona.statusCode(), viaPersona.body());
      assertEquals(new JsonObject(viaWrapped.body()), new JsonObject(viaPersona.body()));

      // A persona over a chat-only LLM: the wrapped LLM's refusal.
      ServiceException chatOnly = failure(client.embeddings("storyteller", EmbeddingRequest.of("x")));
      assertEquals(400, chatOnly.failureCode());
      assertEquals(LlmErrors.EMBEDDINGS_NOT_SUPPORTED, chatOnly.getDebugInfo().getString("code"));
      assertTrue(chatOnly.getMessage().startsWith("LLM 'default' (llamacpp) does not do embeddings"),
        chatOnly.getMessage());
    } finally {
      registry.remove("librarian").await(10, TimeUnit.SECONDS);
      registry.remove("vectors").await(10, TimeUnit.SECONDS);
    }
  }

  private static LlmInfo awaitIdle(String name) throws Exception {
    long deadline = System.currentTimeMillis() + 5000;
    LlmInfo info;
    do {
      Thread.sleep(50);
      info = registry.getInfo(name).await(5, TimeUnit.SECONDS);
    } while ((info.getInFlight() > 0 || info.toJson().getInteger("activeGenerations", 0) > 0)
      && System.currentTimeMillis() < deadline);
    assertEquals(0, info.toJson().getInteger("activeGenerations"), info::toString);
    return info;
  }

  private static HttpResponse<String> post(JsonObject body) throws Exception {
    return post("/v1/chat/completions", body);
  }

  private static HttpResponse<String> post(String path, JsonObject body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static ServiceException failure(Future<?> future) {
    try {
      future.await(30, TimeUnit.SECONDS);
    } catch (ServiceException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a ServiceException, got " + e, e);
    }
    throw new AssertionError("expected a failure");
  }
}
