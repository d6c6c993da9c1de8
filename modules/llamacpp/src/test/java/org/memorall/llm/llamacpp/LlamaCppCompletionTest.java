package org.memorall.llm.llamacpp;

import org.memorall.llm.CollectingSink;
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
import org.memorall.llm.api.Usage;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.eventually;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/** Chat completions on the bundled model (greedy decoding, so the text is known). */
@ExtendWith(VertxExtension.class)
class LlamaCppCompletionTest {

  @TempDir
  Path modelsDir;
  Harness h;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    h = new Harness(vertx, modelsDir, new JsonObject().put("parallel", 2));
    await(h.start());
  }

  @AfterEach
  void stop() throws Exception {
    await(h.call(h.provider::stop));
  }

  @Test
  void greedyCompletionContinuesTheStory() throws Exception {
    JsonObject status = h.status();
    assertEquals("ready", status.getString("status"));
    assertEquals("stories260K", status.getString("model"));
    assertEquals(modelsDir.resolve("bundled/stories260K.gguf").toAbsolutePath().toString(), status.getString("path"));
    assertEquals(4096, status.getInteger("contextSize"), "2048 per slot (the model's context) x 2 slots");
    assertEquals(2, status.getInteger("slots"));
    assertEquals(0, status.getInteger("activeGenerations"));

    ChatCompletionResponse r = h.complete(story(32));
    assertTrue(r.getContent().startsWith(", there was a little girl"), r.getContent());
    assertTrue(r.getId().startsWith("chatcmpl-"), r.getId());
    assertEquals("stories260K", r.getModel());
    assertEquals("chat.completion", r.toJson().getString("object"));
    assertTrue(Math.abs(r.toJson().getLong("created") - System.currentTimeMillis() / 1000) < 60);
    assertEquals("assistant", r.toJson().getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("role"));
  }

  @Test
  void usageCountsAreConsistent() throws Exception {
    ChatCompletionResponse r = h.complete(story(8));
    Usage u = r.getUsage();
    assertEquals("length", r.getFinishReason());
    assertEquals(8, u.getCompletionTokens());
    assertEquals(5, u.getPromptTokens(), "4 tokens for 'Once upon a time' plus BOS");
    assertEquals(u.getPromptTokens() + u.getCompletionTokens(), u.getTotalTokens());
    assertEquals(", there was a little girl", r.getContent(), "8 tokens: , there was a little g ir l");
  }

  @Test
  void streamsRoleThenContentThenFinishThenUsage() throws Exception {
    String expected = h.complete(story(16)).getContent();
    ChatCompletionRequest request = story(16).setStream(true);
    request.toJson().put("stream_options", new JsonObject().put("include_usage", true));
    CollectingSink sink = h.chat(request);
    assertNull(await(sink.done()), "a stream ends with end(), not a response");

    List<ChatCompletionChunk> chunks = sink.chunks;
    ChatCompletionChunk first = chunks.get(0);
    assertEquals("assistant", first.getRole());
    assertEquals("", first.getContent());
    ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
    assertEquals("length", finish.getFinishReason());
    assertNull(finish.getContent());
    ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
    assertTrue(usage.toJson().getJsonArray("choices").isEmpty());
    assertEquals(16, usage.getUsage().getCompletionTokens());
    assertEquals(5, usage.getUsage().getPromptTokens());
    for (ChatCompletionChunk c : chunks.subList(1, chunks.size() - 2)) {
      assertNull(c.getRole());
      assertNull(c.getFinishReason());
      assertTrue(c.getContent() != null && !c.getContent().isEmpty(), c.toString());
    }
    assertEquals(expected, sink.text());
    String id = first.getId();
    chunks.forEach(c -> {
      assertEquals(id, c.getId());
      assertEquals("chat.completion.chunk", c.toJson().getString("object"));
      assertEquals("stories260K", c.toJson().getString("model"));
    });
    assertEquals(1, sink.terminalCalls.get());
  }

  @Test
  void noUsageChunkUnlessAsked() throws Exception {
    CollectingSink sink = h.chat(story(4).setStream(true));
    await(sink.done());
    ChatCompletionChunk last = sink.chunks.get(sink.chunks.size() - 1);
    assertEquals("length", last.getFinishReason());
    assertNull(last.getUsage());
  }

  @Test
  void stopStringsEndTheAnswer() throws Exception {
    ChatCompletionRequest request = story(50);
    request.toJson().put("stop", "Lily");
    ChatCompletionResponse r = h.complete(request);
    assertEquals(", there was a little girl named ", r.getContent());
    assertEquals("stop", r.getFinishReason());
    assertTrue(r.getUsage().getCompletionTokens() < 50);
  }

  @Test
  void sameSeedSameText() throws Exception {
    ChatCompletionRequest request = new ChatCompletionRequest().withMessage("user", "Once upon a time")
      .setTemperature(1.0).setMaxTokens(24);
    request.toJson().put("seed", 7);
    String a = h.complete(request.copy()).getContent();
    String b = h.complete(request.copy()).getContent();
    assertEquals(a, b);
  }

  @Test
  void cancellingFreesTheSlot(Vertx vertx) throws Exception {
    // One slot only: the follow-up request can run only if the cancelled one gave its slot back.
    await(h.call(h.provider::stop));
    h = new Harness(vertx, modelsDir, new JsonObject().put("parallel", 1));
    await(h.start());
    CountDownLatch fiveTokens = new CountDownLatch(5);
    CollectingSink sink = new CollectingSink().onChunk(c -> fiveTokens.countDown());
    h.chat(story(2000).setStream(true), sink);
    assertTrue(fiveTokens.await(10, TimeUnit.SECONDS));
    sink.cancel();
    eventually("the generation is gone", () -> h.status().getInteger("activeGenerations") == 0);
    ServiceException cancelled = failure(sink.done());
    assertEquals("cancelled", cancelled.getDebugInfo().getString("code"));
    int seen = sink.chunks.size();
    assertTrue(seen < 1000, "stopped early: " + seen + " chunks");

    ChatCompletionResponse next = h.complete(story(8));
    assertEquals(", there was a little girl", next.getContent());
    assertEquals(seen, sink.chunks.size(), "nothing written after the cancel");
  }

  @Test
  void cancelBeforeTheStartIsHonoured() throws Exception {
    CollectingSink sink = new CollectingSink();
    sink.cancel();
    h.chat(story(100), sink);
    assertEquals("cancelled", failure(sink.done()).getDebugInfo().getString("code"));
    assertEquals(0, sink.chunks.size());
  }

  @Test
  void aPromptLongerThanASlotIsA400(Vertx vertx) throws Exception {
    await(h.call(h.provider::stop));
    h = new Harness(vertx, modelsDir, new JsonObject().put("contextSize", 128).put("parallel", 2));
    await(h.start());
    String longPrompt = "Once upon a time there was a little girl named Lily. ".repeat(10);
    CollectingSink sink = h.chat(new ChatCompletionRequest().withMessage("user", longPrompt).setMaxTokens(4));
    ServiceException e = failure(sink.done());
    assertEquals(400, e.failureCode());
    assertEquals("messages", e.getDebugInfo().getString("param"));
    assertTrue(e.getMessage().contains("a slot of this LLM holds 64 tokens"), e.getMessage());
    // max_tokens beyond the room left is clamped to it
    ChatCompletionResponse r = h.complete(story(1000));
    assertEquals(64 - 5, r.getUsage().getCompletionTokens());
    assertEquals("length", r.getFinishReason());
  }

  @Test
  void parallelRequestsRunTogether() throws Exception {
    CollectingSink a = h.chat(story(64));
    CollectingSink b = h.chat(story(64));
    ChatCompletionResponse ra = await(a.done());
    ChatCompletionResponse rb = await(b.done());
    assertEquals(ra.getContent(), rb.getContent());
    assertNotEquals(ra.getId(), rb.getId());
    assertNotNull(ra.getUsage());
  }
}
