package org.memorall.llm.openai;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A purpose-written OpenAI-compatible upstream on 127.0.0.1 (port chosen at run time) that produces the faults a
 * real server cannot be made to produce on demand. It records every request it receives and counts connections
 * opened and closed, so tests can see that a cancel or a timeout really closed the upstream connection.
 */
final class FakeUpstream {

  /** What the fake does with one request (its body already read). */
  interface Behaviour {
    void handle(HttpServerRequest request, Buffer body);
  }

  /** One request as the fake received it. */
  static final class Received {
    final String method;
    final String uri;
    final MultiMap headers;
    final Buffer body;

    Received(HttpServerRequest request, Buffer body) {
      this.method = request.method().name();
      this.uri = request.uri();
      this.headers = MultiMap.caseInsensitiveMultiMap().addAll(request.headers());
      this.body = body;
    }

    JsonObject json() {
      return body.toJsonObject();
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger connectionsOpened = new AtomicInteger();
  final AtomicInteger connectionsClosed = new AtomicInteger();
  private final Vertx vertx;
  private volatile Behaviour behaviour = completion("Hi there");
  private HttpServer server;

  private FakeUpstream(Vertx vertx) {
    this.vertx = vertx;
  }

  static Future<FakeUpstream> start(Vertx vertx) {
    FakeUpstream fake = new FakeUpstream(vertx);
    fake.server = vertx.createHttpServer()
      .connectionHandler(conn -> {
        fake.connectionsOpened.incrementAndGet();
        conn.closeHandler(v -> fake.connectionsClosed.incrementAndGet());
      })
      .requestHandler(req -> req.body().onSuccess(body -> {
        fake.received.add(new Received(req, body));
        fake.behaviour.handle(req, body);
      }));
    return fake.server.listen(0, "127.0.0.1").map(s -> fake);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  FakeUpstream behave(Behaviour b) {
    this.behaviour = b;
    return this;
  }

  Received last() {
    return received.get(received.size() - 1);
  }

  Future<Void> close() {
    return server.close();
  }

  // ---- behaviours ----

  /** A chat.completion answering {@code content}, echoing the request's model. */
  static Behaviour completion(String content) {
    return (req, body) -> json(req.response(), 200, new JsonObject()
      .put("id", "chatcmpl-fake").put("object", "chat.completion").put("created", 1700000000)
      .put("model", body.length() == 0 ? null : body.toJsonObject().getValue("model"))
      .put("system_fingerprint", "fp_fake")
      .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
        .put("message", new JsonObject().put("role", "assistant").put("content", content))
        .put("logprobs", null).put("finish_reason", "stop")))
      .put("usage", new JsonObject().put("prompt_tokens", 3).put("completion_tokens", 2).put("total_tokens", 5)));
  }

  /** An embeddings list: for input i the vector [i, 0.5], echoing the request's model, with an extra field. */
  static Behaviour embeddings() {
    return (req, body) -> {
      JsonObject request = body.toJsonObject();
      Object input = request.getValue("input");
      int count = input instanceof JsonArray ? ((JsonArray) input).size() : 1;
      JsonArray data = new JsonArray();
      for (int i = 0; i < count; i++) {
        data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", new JsonArray().add(i).add(0.5)));
      }
      json(req.response(), 200, new JsonObject().put("object", "list").put("data", data)
        .put("model", request.getValue("model")).put("x_upstream", "kept")
        .put("usage", new JsonObject().put("prompt_tokens", 4 * count).put("total_tokens", 4 * count)));
    };
  }

  /** Answers {@code status} with {@code body} and headers given as name, value, name, value... */
  static Behaviour answer(int status, String contentType, String body, String... headers) {
    return (req, b) -> {
      HttpServerResponse r = req.response().setStatusCode(status).putHeader("Content-Type", contentType);
      for (int i = 0; i < headers.length; i += 2) {
        r.putHeader(headers[i], headers[i + 1]);
      }
      r.end(body);
    };
  }

  /** Never answers. */
  static Behaviour hang() {
    return (req, body) -> {
    };
  }

  /** Sends the head of an event stream and then the given raw pieces, {@code delayMs} apart, then ends. */
  static Behaviour raw(long delayMs, boolean end, Buffer... pieces) {
    return (req, body) -> {
      HttpServerResponse r = eventStream(req);
      writeEach(req, r, pieces, 0, delayMs, end);
    };
  }

  /** A complete stream: one chunk per text, then [DONE]. */
  static Behaviour stream(String... texts) {
    Buffer[] pieces = new Buffer[texts.length + 1];
    for (int i = 0; i < texts.length; i++) {
      pieces[i] = event(chunk(texts[i]));
    }
    pieces[texts.length] = Buffer.buffer("data: [DONE]\n\n");
    return raw(0, true, pieces);
  }

  /**
   * Chunk i+1 is sent only once {@code ready(i)} holds: the consumer has seen chunk i. A relay that buffered the
   * stream would never let it finish.
   */
  static Behaviour lockstep(int count, java.util.function.IntPredicate ready) {
    return (req, body) -> {
      HttpServerResponse r = eventStream(req);
      r.write(event(chunk("t0")));
      step(req, r, 1, count, ready);
    };
  }

  /** Sends a chunk every {@code periodMs} until the connection closes. */
  static Behaviour endless(long periodMs) {
    return (req, body) -> {
      HttpServerResponse r = eventStream(req);
      Vertx vertx = Vertx.currentContext().owner();
      long id = vertx.setPeriodic(periodMs, t -> r.write(event(chunk("x"))));
      r.closeHandler(v -> vertx.cancelTimer(id));
    };
  }

  static Buffer event(JsonObject json) {
    return Buffer.buffer("data: " + json.encode() + "\n\n");
  }

  static JsonObject chunk(String content) {
    return new JsonObject().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk").put("created", 1700000000)
      .put("model", "fake").put("choices", new JsonArray().add(new JsonObject().put("index", 0)
        .put("delta", new JsonObject().put("content", content)).put("finish_reason", null)));
  }

  private static void step(HttpServerRequest req, HttpServerResponse r, int i, int count, java.util.function.IntPredicate ready) {
    Vertx vertx = Vertx.currentContext().owner();
    vertx.setTimer(5, t -> {
      if (r.closed()) {
        return;
      }
      if (!ready.test(i - 1)) {
        step(req, r, i, count, ready);
      } else if (i < count) {
        r.write(event(chunk("t" + i)));
        step(req, r, i + 1, count, ready);
      } else {
        r.end("data: [DONE]\n\n");
      }
    });
  }

  private static HttpServerResponse eventStream(HttpServerRequest req) {
    HttpServerResponse r = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
    r.writeHead();
    return r;
  }

  private static void writeEach(HttpServerRequest req, HttpServerResponse r, Buffer[] pieces, int i, long delayMs, boolean end) {
    if (i == pieces.length) {
      if (end) {
        r.end();
      } else {
        req.connection().close();
      }
      return;
    }
    r.write(pieces[i]);
    if (delayMs <= 0) {
      writeEach(req, r, pieces, i + 1, delayMs, end);
    } else {
      Vertx.currentContext().owner().setTimer(delayMs, t -> writeEach(req, r, pieces, i + 1, delayMs, end));
    }
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** Waits (polling) until {@code condition} holds, for tests that watch the fake's counters. */
  static boolean within(long ms, BooleanSupplier condition) throws InterruptedException {
    long end = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(5);
    }
    return condition.getAsBoolean();
  }
}
