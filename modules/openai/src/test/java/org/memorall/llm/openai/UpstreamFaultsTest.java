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
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmErrors;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.openai.ProviderHarness.await;
import static org.memorall.llm.openai.ProviderHarness.failure;
import static org.memorall.llm.openai.ProviderHarness.hello;

/** Each upstream fault ends the request once, with the upstream's status or a clear one of ours. */
@ExtendWith(VertxExtension.class)
class UpstreamFaultsTest {

  private static final String KEY = "sk-fault-test-key-42";
  FakeUpstream fake;
  ProviderHarness h;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    fake = await(FakeUpstream.start(vertx));
    h = ProviderHarness.started(vertx, "openai", new JsonObject().put("baseURL", fake.baseUrl()).put("apiKey", KEY));
  }

  @AfterEach
  void stop() throws Exception {
    h.stop();
    await(fake.close());
  }

  /** Runs {@code request}, expects a failure with {@code status} and {@code code}, and checks it ended once. */
  private ServiceException fails(ChatCompletionRequest request, int status, String code) throws Exception {
    CollectingSink sink = h.chat(request);
    ServiceException e = failure(sink.done(), status, code);
    Thread.sleep(50);
    assertEquals(1, sink.terminalCalls.get(), "exactly one terminal call");
    assertEquals(0, sink.callsAfterTerminal.get());
    assertFalse(e.getMessage().contains(KEY), e.getMessage());
    return e;
  }

  private static ChatCompletionRequest streaming() {
    return hello().setStream(true);
  }

  @Test
  void rateLimitKeepsTheUpstreamErrorAndRetryAfter() throws Exception {
    fake.behave(FakeUpstream.answer(429, "application/json",
      "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
      "Retry-After", "2"));
    ServiceException e = fails(hello(), 429, "rate_limit_exceeded");
    assertEquals("Rate limit reached for gpt-4o-mini", e.getMessage());
    assertEquals("requests", e.getDebugInfo().getString("type"));
    assertEquals(2000, LlmErrors.retryAfterMs(e));
    assertEquals(2000, LlmErrors.toJson(e).getLong(LlmErrors.RETRY_AFTER_MS), "travels over the event bus");
  }

  @Test
  void retryAfterAsAnHttpDate() throws Exception {
    String at = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30).format(DateTimeFormatter.RFC_1123_DATE_TIME);
    fake.behave(FakeUpstream.answer(503, "text/plain", "Service Unavailable", "Retry-After", at));
    ServiceException e = fails(streaming(), 503, null);
    long ms = LlmErrors.retryAfterMs(e);
    assertTrue(ms > 25_000 && ms <= 30_000, "about 30 s: " + ms);
    assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("Service Unavailable"), e.getMessage());
  }

  @Test
  void serverErrorWithoutAnErrorObjectGetsAClearMessage() throws Exception {
    fake.behave(FakeUpstream.answer(500, "text/html", "<html>Internal meltdown</html>"));
    ServiceException e = fails(hello(), 500, null);
    assertEquals("The openai upstream at " + fake.baseUrl() + " answered HTTP 500: <html>Internal meltdown</html>", e.getMessage());
    assertEquals("server_error", e.getDebugInfo().getString("type"));
    assertEquals(-1, LlmErrors.retryAfterMs(e));
  }

  @Test
  void unauthorizedKeepsTheOpenAiErrorObject() throws Exception {
    fake.behave(FakeUpstream.answer(401, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided: "
      + KEY + ". You can find your API key at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
      + "\"param\":null,\"code\":\"invalid_api_key\"}}"));
    ServiceException e = fails(streaming(), 401, "invalid_api_key");
    assertTrue(e.getMessage().startsWith("Incorrect API key provided: ***."), "an echoed key is hidden: " + e.getMessage());
    assertEquals("invalid_request_error", e.getDebugInfo().getString("type"));
    assertNull(e.getDebugInfo().getValue("param"));
  }

  @Test
  void ollamaStyleErrorStrings() throws Exception {
    fake.behave(FakeUpstream.answer(404, "application/json", "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}"));
    ServiceException e = fails(hello(), 404, null);
    assertEquals("model \"llama9\" not found, try pulling it first", e.getMessage());
  }

  @Test
  void aStreamThatStopsWithoutDoneIsBroken() throws Exception {
    fake.behave(FakeUpstream.raw(0, false, FakeUpstream.event(FakeUpstream.chunk("Once")), FakeUpstream.event(FakeUpstream.chunk(" upon"))));
    CollectingSink sink = h.chat(streaming());
    ServiceException e = failure(sink.done(), 502, UpstreamErrors.STREAM_BROKEN);
    assertEquals("server_error", e.getDebugInfo().getString("type"));
    assertEquals("Once upon", sink.text(), "what arrived before the break was relayed");
    assertEquals(1, sink.terminalCalls.get());
  }

  @Test
  void aStreamThatEndsCleanlyWithoutDoneIsBrokenToo() throws Exception {
    fake.behave(FakeUpstream.raw(0, true, FakeUpstream.event(FakeUpstream.chunk("Once"))));
    fails(streaming(), 502, UpstreamErrors.STREAM_BROKEN);
  }

  @Test
  void malformedEventsFailTheStream() throws Exception {
    fake.behave(FakeUpstream.raw(0, true, FakeUpstream.event(FakeUpstream.chunk("ok")), Buffer.buffer("data: {\"id\": oops\n\n"),
      Buffer.buffer("data: [DONE]\n\n")));
    ServiceException e = fails(streaming(), 502, UpstreamErrors.MALFORMED);
    assertTrue(e.getMessage().contains("{\"id\": oops"), e.getMessage());
    assertTrue(FakeUpstream.within(2000, () -> fake.connectionsClosed.get() == 1), "the connection was closed");
  }

  @Test
  void malformedNonStreamingAnswer() throws Exception {
    fake.behave(FakeUpstream.answer(200, "application/json", "{\"choices\": ["));
    fails(hello(), 502, UpstreamErrors.MALFORMED);
  }

  @Test
  void anErrorEventEndsTheStreamWithItsMessage() throws Exception {
    fake.behave(FakeUpstream.raw(0, false, FakeUpstream.event(FakeUpstream.chunk("A")),
      Buffer.buffer("data: {\"error\":{\"message\":\"The server had an error while processing your request\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")));
    ServiceException e = fails(streaming(), 502, null);
    assertEquals("The server had an error while processing your request", e.getMessage());
  }

  @Test
  void anErrorEventWithItsOwnStatusKeepsIt() throws Exception {
    fake.behave(FakeUpstream.raw(0, true, Buffer.buffer("data: {\"error\":{\"message\":\"Provider overloaded\",\"code\":503}}\n\n")));
    ServiceException e = fails(streaming(), 503, "503");
    assertEquals("Provider overloaded", e.getMessage());
  }

  @Test
  void jsonInsteadOfAnEventStream() throws Exception {
    fake.behave(FakeUpstream.answer(200, "application/json", "{\"error\":{\"message\":\"stream not supported\",\"type\":\"invalid_request_error\"}}"));
    ServiceException e = fails(streaming(), 502, null);
    assertEquals("stream not supported", e.getMessage());
  }

  @Test
  void connectionRefusedIsUnavailableAndNamesTheBaseUrl(Vertx vertx) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/v1";
    ProviderHarness down = ProviderHarness.started(vertx, "openai", new JsonObject().put("baseURL", url).put("apiKey", KEY));
    try {
      for (ChatCompletionRequest request : new ChatCompletionRequest[]{hello(), streaming()}) {
        CollectingSink sink = down.chat(request);
        ServiceException e = failure(sink.done(), 503, UpstreamErrors.UNAVAILABLE);
        assertTrue(e.getMessage().startsWith("Cannot reach the openai upstream at " + url + ": "), e.getMessage());
        assertFalse(e.getMessage().contains(KEY));
      }
      failure(down.call(down.provider::models), 503, UpstreamErrors.UNAVAILABLE);
      assertEquals("ready", down.status().getString("status"), "a provider whose upstream is down stays ready");
    } finally {
      down.stop();
    }
  }

  @Test
  void aConnectionThatIsNeverAcceptedTimesOut(Vertx vertx) throws Exception {
    // A listening socket whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      java.util.List<java.net.Socket> fillers = new java.util.ArrayList<>();
      try {
        boolean full = false;
        for (int i = 0; i < 16 && !full; i++) {
          java.net.Socket socket = new java.net.Socket();
          try {
            socket.connect(s.getLocalSocketAddress(), 200);
            fillers.add(socket);
          } catch (java.net.SocketTimeoutException e) {
            socket.close();
            full = true;
          }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(full, "this kernel accepts connections beyond the backlog");
        ProviderHarness stuck = ProviderHarness.started(vertx, "lmstudio", new JsonObject()
          .put("baseURL", "http://127.0.0.1:" + s.getLocalPort() + "/v1").put("timeouts", new JsonObject().put("connectMs", 300)));
        try {
          long t0 = System.nanoTime();
          ServiceException e = failure(stuck.chat(streaming()).done(), 504, UpstreamErrors.TIMEOUT);
          long ms = (System.nanoTime() - t0) / 1_000_000;
          assertTrue(e.getMessage().contains("within 300 ms (timeouts.connectMs)"), e.getMessage());
          assertTrue(ms >= 250 && ms < 5000, "took " + ms + " ms");
        } finally {
          stuck.stop();
        }
      } finally {
        for (java.net.Socket socket : fillers) {
          socket.close();
        }
      }
    }
  }
}
