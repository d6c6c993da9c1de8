package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One access-log line per request, with its facts and none of its content or secrets. */
@ExtendWith(VertxExtension.class)
class AccessLogTest {

  private static final String SECRET = "sk-planted-access-7d1e";
  private static final String PROMPT = "Once upon a time, secret plan";
  private static final Pattern LINE =
    Pattern.compile("(GET|POST|DELETE) (\\S+) llm=(\\S+) status=(\\d{3}) ms=(\\d+) tokens=(\\d+|-)");

  private final List<String> lines = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      synchronized (lines) {
        lines.add(record.getMessage());
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  @BeforeEach
  void capture() {
    RequestObserver.ACCESS.addHandler(capture);
  }

  @AfterEach
  void release() {
    RequestObserver.ACCESS.removeHandler(capture);
  }

  @Test
  void oneLinePerRequestWithoutBodiesOrSecrets(Vertx vertx) throws Exception {
    Http http = new Http(HealthTest.await(TestNode.start(vertx, TestNode.defaultLlms())));
    synchronized (lines) {
      lines.clear(); // the node's start made no requests, but be sure
    }
    String body = Http.chat(PROMPT, 4).encode();
    assertEquals(200, http.send(http.request("/v1/chat/completions?api_key=" + SECRET)
      .header("Authorization", "Bearer " + SECRET).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body)).build()).statusCode());
    assertEquals(200, http.post("/llms/default/v1/chat/completions",
      Http.chat(PROMPT, 4).put("stream", true).encode(), "Authorization", "Bearer " + SECRET).statusCode());
    assertEquals(404, http.get("/llms/nope").statusCode());
    assertEquals(200, http.get("/health").statusCode());

    List<String> got = awaitLines(4);
    assertLine(got.get(0), "POST", "/v1/chat/completions", "default", 200, "4");
    assertLine(got.get(1), "POST", "/llms/default/v1/chat/completions", "default", 200, "4");
    assertLine(got.get(2), "GET", "/llms/nope", "-", 404, "-");
    assertLine(got.get(3), "GET", "/health", "-", 200, "-");
    for (String line : got) {
      assertFalse(line.contains(SECRET), line);
      assertFalse(line.contains("secret plan") || line.contains("Once upon"), line);
      assertFalse(line.contains("api_key") || line.contains("Bearer"), line);
    }
  }

  @Test
  void aClientThatGoesAwayMidStreamIsOneLineWith499(Vertx vertx) throws Exception {
    Http http = new Http(HealthTest.await(TestNode.start(vertx, TestNode.defaultLlms())));
    synchronized (lines) {
      lines.clear();
    }
    String longStream = Http.chat(PROMPT, 100_000).put("ignore_eos", true).put("stream", true).encode();
    try (RawHttp stream = RawHttp.post(http.port, "/v1/chat/completions", longStream)) {
      stream.readUntil("\"content\"", 5); // tokens are flowing
    }
    List<String> got = awaitLines(1);
    assertLine(got.get(0), "POST", "/v1/chat/completions", "default", RequestObserver.CLIENT_CLOSED, null);
  }

  private static void assertLine(String line, String method, String path, String llm, int status, String tokens) {
    Matcher m = LINE.matcher(line);
    assertTrue(m.matches(), line);
    assertEquals(method, m.group(1), line);
    assertEquals(path, m.group(2), line);
    assertEquals(llm, m.group(3), line);
    assertEquals(String.valueOf(status), m.group(4), line);
    if (tokens != null) {
      assertEquals(tokens, m.group(6), line);
    }
  }

  /** The lines once there are {@code count}, checking that no more come (a request logged twice). */
  private List<String> awaitLines(int count) throws InterruptedException {
    long until = System.nanoTime() + 5_000_000_000L;
    while (size() < count && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    Thread.sleep(300);
    synchronized (lines) {
      assertEquals(count, lines.size(), lines::toString);
      return new ArrayList<>(lines);
    }
  }

  private int size() {
    synchronized (lines) {
      return lines.size();
    }
  }
}
