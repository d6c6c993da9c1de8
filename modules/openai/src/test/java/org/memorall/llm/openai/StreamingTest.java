package org.memorall.llm.openai;

import org.memorall.llm.CollectingSink;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.eventually;
import static org.memorall.llm.openai.ProviderHarness.failure;
import static org.memorall.llm.openai.ProviderHarness.hello;

/** Relaying streams as they arrive, the clocks, and cancelling, against {@link FakeUpstream}. */
@ExtendWith(VertxExtension.class)
class StreamingTest {

  FakeUpstream fake;
  ProviderHarness h;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    fake = await(FakeUpstream.start(vertx));
  }

  @AfterEach
  void stop() throws Exception {
    h.stop();
    await(fake.close());
  }

  private void provider(Vertx vertx, JsonObject timeouts) throws Exception {
    h = ProviderHarness.started(vertx, "ollama", new JsonObject().put("baseURL", fake.baseUrl()).put("timeouts", timeouts));
  }

  private static ChatCompletionRequest streaming() {
    return hello().setStream(true);
  }

  @Test
  void chunksAreRelayedOneByOneAsTheyArrive(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    CollectingSink sink = new CollectingSink();
    // The fake sends chunk i+1 only after the sink has received chunk i: buffering would stall this stream.
    fake.behave(FakeUpstream.lockstep(5, i -> sink.chunks.size() > i));
    h.context.runOnContext(v -> h.provider.chatCompletions(streaming(), sink));
    assertNull(await(sink.done()));
    assertEquals("t0t1t2t3t4", sink.text());
  }

  @Test
  void eventsSplitAnywhereAcrossTcpChunksAreReassembled(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    JsonObject first = FakeUpstream.chunk("Olá, café ☕");
    JsonObject usage = new JsonObject().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
      .put("choices", new io.vertx.core.json.JsonArray()).put("usage", new JsonObject().put("prompt_tokens", 3)
        .put("completion_tokens", 4).put("total_tokens", 7));
    byte[] all = (": keep-alive comment\r\n\r\nevent: message\r\nid: 1\r\ndata: " + first.encode() + "\r\n\r\n"
      + "data: " + usage.encode() + "\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
    // Pieces of 7 bytes, 15 ms apart: every line and several UTF-8 characters are cut in two.
    List<Buffer> pieces = new ArrayList<>();
    for (int i = 0; i < all.length; i += 7) {
      pieces.add(Buffer.buffer(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + 7))));
    }
    fake.behave(FakeUpstream.raw(15, true, pieces.toArray(new Buffer[0])));
    CollectingSink sink = h.chat(streaming());
    assertNull(await(sink.done()));
    assertEquals(2, sink.chunks.size());
    assertEquals(first, sink.chunks.get(0).toJson(), "relayed unchanged");
    assertEquals(usage, sink.chunks.get(1).toJson(), "the usage chunk too");
    assertEquals(7, sink.chunks.get(1).getUsage().getTotalTokens());
  }

  @Test
  void noFirstChunkInTimeIsATimeoutAndClosesTheConnection(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject().put("firstTokenMs", 300));
    // The head of an event stream, and then nothing.
    fake.behave((req, body) -> req.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead());
    CollectingSink sink = h.chat(streaming());
    ServiceException e = failure(sink.done(), 504, UpstreamErrors.TIMEOUT);
    assertTrue(e.getMessage().contains("sent no chunk within 300 ms (timeouts.firstTokenMs)"), e.getMessage());
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the connection was closed");
    Thread.sleep(50);
    assertEquals(1, sink.terminalCalls.get());
  }

  @Test
  void aStallInTheMiddleIsAnIdleTimeout(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject().put("idleMs", 300));
    fake.behave((req, body) -> {
      req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      req.response().write(FakeUpstream.event(FakeUpstream.chunk("Once")));
    });
    CollectingSink sink = h.chat(streaming());
    ServiceException e = failure(sink.done(), 504, UpstreamErrors.TIMEOUT);
    assertTrue(e.getMessage().contains("within 300 ms (timeouts.idleMs)"), e.getMessage());
    assertEquals("Once", sink.text());
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the connection was closed");
  }

  @Test
  void aSteadyStreamStillEndsAtTheTotalTimeout(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject().put("totalMs", 500).put("idleMs", 200));
    fake.behave(FakeUpstream.endless(40));
    CollectingSink sink = h.chat(streaming());
    ServiceException e = failure(sink.done(), 504, UpstreamErrors.TIMEOUT);
    assertTrue(e.getMessage().contains("within 500 ms (timeouts.totalMs)"), e.getMessage());
    assertTrue(sink.chunks.size() >= 3, "chunks flowed until then: " + sink.chunks.size());
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the connection was closed");
  }

  @Test
  void aNonStreamingAnswerThatNeverComesEndsAtTheTotalTimeout(Vertx vertx) throws Exception {
    // firstTokenMs does not apply: a non-streamed completion arrives all at once, after the whole generation.
    provider(vertx, new JsonObject().put("firstTokenMs", 100).put("totalMs", 600));
    fake.behave(FakeUpstream.hang());
    long t0 = System.nanoTime();
    ServiceException e = failure(h.chat(hello()).done(), 504, UpstreamErrors.TIMEOUT);
    assertTrue((System.nanoTime() - t0) / 1_000_000 >= 550, "waited for totalMs");
    assertTrue(e.getMessage().contains("(timeouts.totalMs)"), e.getMessage());
  }

  @Test
  void aModelListThatNeverComesTimesOut(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject().put("firstTokenMs", 300));
    fake.behave(FakeUpstream.hang());
    ServiceException e = failure(h.call(h.provider::models), 504, UpstreamErrors.TIMEOUT);
    assertTrue(e.getMessage().contains("did not answer within 300 ms"), e.getMessage());
  }

  @Test
  void cancellingClosesTheUpstreamConnection(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    fake.behave(FakeUpstream.endless(30));
    CollectingSink sink = h.chat(streaming());
    eventually("two chunks arrived", () -> sink.chunks.size() >= 2);
    sink.cancel();
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the upstream saw its connection closed");
    failure(sink.done(), 400, "cancelled");
    int seen = sink.chunks.size();
    Thread.sleep(100);
    assertEquals(seen, sink.chunks.size(), "nothing is relayed after a cancel");
    assertEquals(1, sink.terminalCalls.get());
    assertEquals(0, h.status().getInteger("activeRequests"));
  }

  @Test
  void cancellingBeforeTheAnswerBeganClosesTheConnectionToo(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    fake.behave(FakeUpstream.hang());
    CollectingSink sink = h.chat(hello());
    eventually("the upstream got the request", () -> fake.received.size() == 1);
    sink.cancel();
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the upstream saw its connection closed");
    failure(sink.done(), 400, "cancelled");
  }

  @Test
  void stoppingEndsCallsInFlight(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    fake.behave(FakeUpstream.hang());
    CollectingSink sink = h.chat(streaming());
    eventually("the upstream got the request", () -> fake.received.size() == 1);
    h.stop();
    failure(sink.done(), 503, "llm_unavailable");
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1));
  }

  @Test
  void connectionsAreReusedAfterCompleteStreams(Vertx vertx) throws Exception {
    provider(vertx, new JsonObject());
    fake.behave(FakeUpstream.stream("a", "b"));
    for (int i = 0; i < 3; i++) {
      CollectingSink sink = h.chat(streaming());
      assertNull(await(sink.done()));
      assertEquals("ab", sink.text());
      List<ChatCompletionChunk> chunks = sink.chunks;
      assertEquals(2, chunks.size());
    }
    assertEquals(1, fake.connectionsOpened.get(), "keep-alive: one connection served all three");
  }
}
