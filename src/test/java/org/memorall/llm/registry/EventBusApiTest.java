package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ServeRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry as a verticle sees it: the service proxy and streams used from another verticle, with the real
 * bundled model behind the default LLM.
 */
@ExtendWith(VertxExtension.class)
class EventBusApiTest {

  @TempDir
  Path modelsDir;
  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  private void deployRegistry(JsonObject llms) throws Exception {
    JsonObject config = new JsonObject().put("llms", llms);
    vertx.deployVerticle(new RegistryVerticle(new RegistryConfig(config, modelsDir))).await(30, TimeUnit.SECONDS);
  }

  private static JsonObject local(int parallel) {
    return new JsonObject().put("type", "llamacpp").put("config", new JsonObject().put("parallel", parallel));
  }

  private static ChatCompletionRequest story(int maxTokens) {
    return new ChatCompletionRequest().withMessage("user", "Once upon a time").setMaxTokens(maxTokens).setTemperature(0.0);
  }

  /** A generation that runs to exactly 2000 tokens unless it is stopped. */
  private static ChatCompletionRequest longStory() {
    ChatCompletionRequest request = story(2000);
    request.toJson().put("ignore_eos", true);
    return request;
  }

  /** A verticle of the user's that streams one completion and reports what it saw. */
  static final class StreamingClient extends VerticleBase {
    final Promise<List<ChatCompletionChunk>> done = Promise.promise();
    final List<ChatCompletionChunk> chunks = new ArrayList<>();
    final int cancelAfter;
    final ChatCompletionRequest request;
    volatile LlmStream<ChatCompletionChunk> stream;
    final AtomicInteger handlerCallsAfterCancel = new AtomicInteger();
    volatile boolean cancelled;

    StreamingClient(ChatCompletionRequest request, int cancelAfter) {
      this.request = request;
      this.cancelAfter = cancelAfter;
    }

    @Override
    public Future<?> start() {
      stream = LlmClient.create(vertx).streamChatCompletions(null, request);
      stream.handler(chunk -> {
        if (cancelled) {
          handlerCallsAfterCancel.incrementAndGet();
          return;
        }
        chunks.add(chunk);
        if (chunks.size() == cancelAfter) {
          cancelled = true;
          stream.cancel();
          vertx.setTimer(500, id -> done.tryComplete(chunks));
        }
      }).exceptionHandler(done::tryFail).endHandler(v -> done.tryComplete(chunks));
      return Future.succeededFuture();
    }
  }

  @Test
  void oneRegistryPerVertxInstance() throws Exception {
    RegistryConfig config = new RegistryConfig(new JsonObject().put("llms", new JsonObject()), modelsDir);
    String first = vertx.deployVerticle(new RegistryVerticle(config)).await(30, TimeUnit.SECONDS);
    Exception e = assertThrows(Exception.class,
      () -> vertx.deployVerticle(new RegistryVerticle(config)).await(30, TimeUnit.SECONDS));
    assertTrue(e.getMessage().contains("A registry is already deployed in this Vert.x instance"), e.getMessage());

    LlmService registry = LlmService.createProxy(vertx);
    registry.create("a", "lmstudio", new JsonObject().put("baseURL", "http://127.0.0.1:1/v1"))
      .await(10, TimeUnit.SECONDS);
    for (int i = 0; i < 4; i++) {
      assertTrue(registry.has("a").await(10, TimeUnit.SECONDS), "every call reaches the one registry");
    }

    vertx.undeploy(first).await(30, TimeUnit.SECONDS);
    vertx.deployVerticle(new RegistryVerticle(config)).await(30, TimeUnit.SECONDS); // the place is free again
    assertEquals(List.of(), registry.getNames().await(10, TimeUnit.SECONDS));
  }

  @Test
  void aRequestQueuedLongerThanQueueTimeoutMsIsRefusedAndNeverRuns() throws Exception {
    JsonObject llm = local(1);
    llm.getJsonObject("config").put("queueTimeoutMs", 100);
    deployRegistry(new JsonObject().put("default", llm));
    LlmClient client = LlmClient.create(vertx);
    Promise<Void> started = Promise.promise();
    LlmStream<ChatCompletionChunk> first = client.streamChatCompletions("default", longStory());
    first.handler(chunk -> started.tryComplete()).exceptionHandler(started::tryFail);
    started.future().await(30, TimeUnit.SECONDS); // it holds the only slot for 2000 tokens

    long t0 = System.nanoTime();
    ServiceException e = failure(client.chatCompletions("default", story(4)));
    long waitedMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(503, e.failureCode(), e.getMessage());
    assertEquals(LlmEntry.QUEUE_TIMEOUT, e.getDebugInfo().getString("code"));
    assertTrue(waitedMs >= 100, "refused after its 100 ms in the queue, not before: " + waitedMs + " ms");
    assertEquals(1L, LlmService.createProxy(vertx).getInfo("default").await(10, TimeUnit.SECONDS).toJson()
      .getLong("inFlight"), "only the first one ran");
    first.cancel();
  }

  @Test
  void modelsAreServedListedUnloadedAndDeletedThroughTheProxy() throws Exception {
    deployRegistry(new JsonObject().put("default", local(1)));
    LlmService registry = LlmService.createProxy(vertx);
    assertEquals("stories260K", registry.chatCompletionsFor("default", story(2)).await(30, TimeUnit.SECONDS).getModel());
    Path tiny = Files.copy(modelsDir.resolve("bundled/stories260K.gguf"), modelsDir.resolve("tiny.gguf"));

    ModelInfo served = registry.serve("default", ServeRequest.path(tiny.toString())).await(30, TimeUnit.SECONDS);
    assertEquals("tiny", served.getId());
    assertTrue(served.isLoaded());
    assertEquals("tiny", registry.chatCompletionsFor("default", story(2)).await(30, TimeUnit.SECONDS).getModel());
    assertEquals(List.of("stories260K", "tiny"), registry.models("default").await(10, TimeUnit.SECONDS).getData()
      .stream().map(ModelInfo::getId).sorted().toList());

    registry.unload("default", "tiny").await(30, TimeUnit.SECONDS);
    assertEquals("unloaded", registry.getInfo("default").await(10, TimeUnit.SECONDS).toJson().getString("status"));
    registry.delete("default", "tiny").await(30, TimeUnit.SECONDS);
    assertFalse(Files.exists(tiny));
  }

  @Test
  void aDefaultWhoseTypeIsInItsConfigIsCreatedAgainOnFirstUse() throws Exception {
    // As the spec writes it: {type: ...} inside the config; here a persona over a local LLM.
    deployRegistry(new JsonObject()
      .put("default", new JsonObject().put("config", new JsonObject().put("type", "persona").put("llm", "story")
        .put("system", "Tell a story.")))
      .put("story", local(1)));
    LlmService registry = LlmService.createProxy(vertx);
    assertEquals("persona", registry.getInfo("default").await(10, TimeUnit.SECONDS).getType());
    assertTrue(registry.remove("default").await(10, TimeUnit.SECONDS));
    ChatCompletionResponse answer = registry.chatCompletions(story(4)).await(30, TimeUnit.SECONDS);
    assertEquals("default", answer.getServedBy());
    assertEquals("persona", registry.getInfo("default").await(10, TimeUnit.SECONDS).getType());
  }

  @Test
  void streamsChunksInOrderToAnotherVerticle() throws Exception {
    deployRegistry(new JsonObject().put("default", local(2)));
    StreamingClient client = new StreamingClient(story(24), -1);
    vertx.deployVerticle(client).await(10, TimeUnit.SECONDS);
    List<ChatCompletionChunk> chunks = client.done.future().await(30, TimeUnit.SECONDS);

    assertEquals("assistant", chunks.get(0).getRole());
    String id = chunks.get(0).getId();
    StringBuilder text = new StringBuilder();
    for (ChatCompletionChunk c : chunks) {
      assertEquals(id, c.getId(), "one id for the whole stream");
      if (c.getContent() != null) {
        text.append(c.getContent());
      }
    }
    assertTrue(text.toString().startsWith(", there was a little girl"), text.toString());
    assertEquals("length", chunks.get(chunks.size() - 1).getFinishReason());
  }

  @Test
  void cancelStopsTheGenerationAndFreesTheSlot() throws Exception {
    deployRegistry(new JsonObject().put("default", local(1)));
    StreamingClient client = new StreamingClient(longStory(), 3);
    vertx.deployVerticle(client).await(10, TimeUnit.SECONDS);
    client.done.future().await(30, TimeUnit.SECONDS);
    LlmService service = LlmService.createProxy(vertx);
    LlmInfo info = awaitIdle(service, "default");
    assertEquals(0, info.getInFlight());
    assertEquals(0, info.toJson().getInteger("activeGenerations", 0), info.toString());
    assertEquals(0, client.handlerCallsAfterCancel.get(), "no chunk is delivered after cancel()");
    assertStoppedEarly(info);
    // The only slot is free again: a new request is served.
    ChatCompletionResponse next = service.chatCompletions(story(8)).await(30, TimeUnit.SECONDS);
    assertEquals("length", next.getFinishReason());
  }

  @Test
  void aConsumerThatDisappearsLeaksNothing() throws Exception {
    deployRegistry(new JsonObject().put("default", local(1)));
    StreamingClient client = new StreamingClient(longStory(), -1);
    String id = vertx.deployVerticle(client).await(10, TimeUnit.SECONDS);
    while (client.chunks.size() < 3) {
      Thread.sleep(10);
    }
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);
    LlmService service = LlmService.createProxy(vertx);
    LlmInfo info = awaitIdle(service, "default");
    assertEquals(0, info.getInFlight());
    assertEquals(0, info.toJson().getInteger("activeGenerations", 0), info.toString());
    assertStoppedEarly(info);
  }

  /** The 2000-token generation was stopped, not run to its end. */
  private static void assertStoppedEarly(LlmInfo info) {
    long generated = info.toJson().getLong("tokensGenerated");
    assertTrue(generated < 1000, "the generation went on after the consumer left: " + generated + " tokens");
  }

  @Test
  void serviceProxyAnswersTheSpecMethods() throws Exception {
    deployRegistry(new JsonObject().put("default", local(2)));
    LlmService service = LlmService.createProxy(vertx);

    assertEquals(List.of("default"), service.getNames().await(10, TimeUnit.SECONDS));
    assertTrue(service.has("default").await(10, TimeUnit.SECONDS));
    LlmInfo created = service.create("my-local", "wllama", new JsonObject().put("parallel", 1)).await(30, TimeUnit.SECONDS);
    assertEquals("llamacpp", created.getType());
    assertEquals("ready", created.getStatus());
    assertEquals(1, created.getSlots());

    ServiceException missing = failure(service.getRequired("non-existent"));
    assertEquals(404, missing.failureCode());
    assertEquals("LLM 'non-existent' not found. Available: default, my-local", missing.getMessage());
    assertEquals(null, service.get("non-existent").await(10, TimeUnit.SECONDS));

    assertEquals(409, failure(service.create("my-local", "llamacpp", new JsonObject())).failureCode());
    ServiceException unknownType = failure(service.create("x", "nope", new JsonObject()));
    assertEquals(400, unknownType.failureCode());
    assertTrue(unknownType.getMessage().contains("llamacpp"), unknownType.getMessage());

    ChatCompletionResponse r = service.chatCompletionsFor("my-local", story(16)).await(30, TimeUnit.SECONDS);
    assertTrue(r.getContent().startsWith(", there was a little girl"), r.getContent());
    assertEquals(16, r.getUsage().getCompletionTokens());

    assertEquals(2, service.getAllInfo().await(10, TimeUnit.SECONDS).size());
    assertTrue(service.models("my-local").await(10, TimeUnit.SECONDS).getData().size() >= 1);
    assertTrue(service.remove("my-local").await(10, TimeUnit.SECONDS));
    assertEquals(false, service.remove("my-local").await(10, TimeUnit.SECONDS));
    assertEquals(List.of("default"), service.getNames().await(10, TimeUnit.SECONDS));
  }

  @Test
  void racingFirstUsesOfTheDefaultLlmShareOneLoad() throws Exception {
    deployRegistry(new JsonObject());
    int before = vertx.deploymentIDs().size();
    LlmService service = LlmService.createProxy(vertx);
    List<Future<ChatCompletionResponse>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(service.chatCompletions(story(8)));
    }
    Future.all(answers).await(60, TimeUnit.SECONDS);
    for (Future<ChatCompletionResponse> a : answers) {
      assertTrue(a.result().getContent().startsWith(", there was"), a.result().getContent());
    }
    assertEquals(before + 1, vertx.deploymentIDs().size(), "exactly one provider verticle was deployed");
    assertEquals(List.of("default"), service.getNames().await(10, TimeUnit.SECONDS));
  }

  @Test
  void eightConcurrentRequestsOnTwoSlotsAllComplete() throws Exception {
    deployRegistry(new JsonObject().put("default", local(2)));
    LlmClient client = LlmClient.create(vertx);
    List<Future<ChatCompletionResponse>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(client.chatCompletions("default", story(32)));
    }
    Future.all(answers).await(60, TimeUnit.SECONDS);
    for (Future<ChatCompletionResponse> a : answers) {
      assertEquals(32, a.result().getUsage().getCompletionTokens());
    }
  }

  @Test
  void aFailureReachesACallerThatIsNotOnAVertxThread() throws Exception {
    deployRegistry(new JsonObject().put("default", local(1)));
    LlmClient client = LlmClient.create(vertx);
    // The failure comes back at once; the future must see it even when it comes before the caller's thread has
    // finished setting up (a race that lost the failure and left the future pending forever).
    for (int i = 0; i < 500; i++) {
      ServiceException missing = failure(client.chatCompletions("non-existent", story(8)), 5);
      assertEquals(404, missing.failureCode(), "call " + i);
    }
  }

  private static LlmInfo awaitIdle(LlmService service, String name) throws Exception {
    long deadline = System.currentTimeMillis() + 5000;
    LlmInfo info;
    do {
      Thread.sleep(50);
      info = service.getInfo(name).await(5, TimeUnit.SECONDS);
    } while ((info.getInFlight() > 0 || info.toJson().getInteger("activeGenerations", 0) > 0)
      && System.currentTimeMillis() < deadline);
    return info;
  }

  private static ServiceException failure(Future<?> future) throws Exception {
    return failure(future, 30);
  }

  private static ServiceException failure(Future<?> future, int seconds) throws Exception {
    try {
      future.await(seconds, TimeUnit.SECONDS);
    } catch (ServiceException e) {
      return e;
    }
    throw new AssertionError("expected a failure");
  }
}
