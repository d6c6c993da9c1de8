package org.memorall.llm.openai;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.util.function.Consumer;

/**
 * One HTTP call to the upstream, from connecting to its single outcome: a JSON answer, a stream of chunks ending
 * with {@code [DONE]}, or one failure. It runs on the provider verticle's context; the clocks of {@link Timeouts}
 * watch it, and a failure or a cancel resets the request, which closes its connection so the upstream stops.
 */
final class UpstreamCall {

  enum Mode {
    /** A non-streamed chat completion: it arrives all at once when generated, so only totalMs bounds the wait. */
    COMPLETION,
    /** A streamed chat completion: firstTokenMs until the first chunk, then idleMs between pieces. */
    STREAM,
    /** A quick query (model list): firstTokenMs until the answer begins. */
    QUERY
  }

  /** Where the outcome goes; exactly one of json, end or fail is called, chunks only before end. */
  interface Receiver {
    void json(JsonObject answer);

    void chunk(JsonObject chunk);

    void end();

    void fail(ServiceException error);
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final Timeouts timeouts;
  private final UpstreamErrors errors;
  private final RequestOptions options;
  private final Buffer body;
  private final Mode mode;
  private final Receiver receiver;
  private final Consumer<UpstreamCall> onDone;

  private HttpClientRequest request;
  private SseParser parser;
  private boolean responseEnded;
  private boolean done;
  private boolean sawChunk;
  private long totalTimer = -1;
  private long firstTimer = -1;
  private long idleTimer = -1;
  private long lastActivityNanos;

  UpstreamCall(Vertx vertx, HttpClient client, OpenAiConfig config, UpstreamErrors errors, RequestOptions options,
               Buffer body, Mode mode, Receiver receiver, Consumer<UpstreamCall> onDone) {
    this.vertx = vertx;
    this.client = client;
    this.timeouts = config.timeouts;
    this.errors = errors;
    this.options = options;
    this.body = body;
    this.mode = mode;
    this.receiver = receiver;
    this.onDone = onDone;
  }

  void start() {
    totalTimer = vertx.setTimer(timeouts.totalMs,
      id -> fail(errors.timeout("did not finish answering", "totalMs", timeouts.totalMs)));
    client.request(options).onComplete(ar -> {
      if (ar.failed()) {
        fail(errors.transport(ar.cause(), false));
        return;
      }
      if (done) {
        ar.result().reset();
        return;
      }
      request = ar.result();
      if (mode != Mode.COMPLETION) {
        firstTimer = vertx.setTimer(timeouts.firstTokenMs, id -> fail(mode == Mode.STREAM
          ? errors.timeout("sent no chunk", "firstTokenMs", timeouts.firstTokenMs)
          : errors.timeout("did not answer", "firstTokenMs", timeouts.firstTokenMs)));
      }
      Future<HttpClientResponse> sent = body == null ? request.send() : request.send(body);
      sent.onComplete(r -> {
        if (done) {
          return;
        }
        if (r.failed()) {
          fail(errors.transport(r.cause(), true));
        } else {
          onHead(r.result());
        }
      });
    });
  }

  /** The consumer went away: stop the upstream and end with a cancel error (ignored by a consumer that left). */
  void cancel() {
    fail(errors.cancelled());
  }

  /** The provider is stopping. */
  void abort(ServiceException reason) {
    fail(reason);
  }

  private void onHead(HttpClientResponse response) {
    response.exceptionHandler(t -> fail(errors.broken("closed the connection in the middle of the answer ("
      + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()) + ")")));
    if (mode == Mode.QUERY) {
      clearFirstTimer();
    }
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      readAll(response, UpstreamErrors.MAX_ERROR_BODY, b -> fail(errors.fromResponse(status, response.headers(), b)));
      return;
    }
    String contentType = response.getHeader("Content-Type");
    if (mode != Mode.STREAM) {
      readAll(response, Integer.MAX_VALUE, this::onJson);
    } else if (contentType != null && contentType.contains("json")) {
      readAll(response, UpstreamErrors.MAX_ERROR_BODY, b -> fail(errors.notAStream(b)));
    } else {
      parser = new SseParser(this::onEvent);
      response.handler(buffer -> {
        touch();
        parser.feed(buffer);
      });
      response.endHandler(v -> {
        responseEnded = true;
        parser.finish();
        fail(errors.broken("ended the stream without 'data: [DONE]'"));
      });
    }
  }

  private void readAll(HttpClientResponse response, int limit, Consumer<Buffer> then) {
    Buffer all = Buffer.buffer();
    touch();
    response.handler(buffer -> {
      touch();
      if (all.length() < limit) {
        all.appendBuffer(buffer, 0, Math.min(buffer.length(), limit - all.length()));
      }
    });
    response.endHandler(v -> {
      responseEnded = true;
      if (!done) {
        then.accept(all);
      }
    });
  }

  private void onJson(Buffer answer) {
    Object json;
    try {
      json = answer.length() == 0 ? null : answer.toJsonValue();
    } catch (DecodeException e) {
      json = null;
    }
    if (json instanceof JsonObject) {
      JsonObject object = (JsonObject) json;
      succeed(() -> receiver.json(object));
    } else {
      fail(errors.malformed("answered with something that is not a JSON object: " + excerpt(answer.toString())));
    }
  }

  private void onEvent(String data) {
    if (done) {
      return;
    }
    if (!sawChunk) {
      sawChunk = true;
      clearFirstTimer();
      touch();
    }
    String trimmed = data.strip();
    if (trimmed.isEmpty()) {
      return; // an empty event carries nothing; some servers send them to keep the connection alive
    }
    if ("[DONE]".equals(trimmed)) {
      parser.stop();
      succeed(receiver::end);
      return;
    }
    JsonObject chunk;
    try {
      chunk = new JsonObject(trimmed);
    } catch (DecodeException | ClassCastException e) {
      fail(errors.malformed("sent an event that is not a JSON object: " + excerpt(trimmed)));
      return;
    }
    if (chunk.getValue("error") != null) {
      fail(errors.streamError(chunk));
    } else {
      receiver.chunk(chunk);
    }
  }

  /**
   * Restarts the idle clock; before a stream's first chunk the first-token clock runs instead. Called for every piece
   * received, so it only notes the time: the one timer, when it fires, waits again for what is left.
   */
  private void touch() {
    if (done || mode == Mode.STREAM && !sawChunk) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    if (idleTimer == -1) {
      armIdleTimer(timeouts.idleMs);
    }
  }

  private void armIdleTimer(long delayMs) {
    idleTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      long idleMs = (System.nanoTime() - lastActivityNanos) / 1_000_000;
      if (idleMs >= timeouts.idleMs) {
        fail(errors.timeout("sent nothing in the middle of the answer", "idleMs", timeouts.idleMs));
      } else if (!done) {
        armIdleTimer(timeouts.idleMs - idleMs);
      }
    });
  }

  private void succeed(Runnable outcome) {
    if (done) {
      return;
    }
    finish();
    if (!responseEnded) {
      // After [DONE] the upstream should end the response; one that keeps it open would hold the connection.
      vertx.setTimer(timeouts.idleMs, id -> {
        if (!responseEnded) {
          request.reset();
        }
      });
    }
    outcome.run();
  }

  private void fail(ServiceException error) {
    if (done) {
      return;
    }
    finish();
    if (parser != null) {
      parser.stop();
    }
    if (request != null && !responseEnded) {
      request.reset();
    }
    receiver.fail(error);
  }

  private void finish() {
    done = true;
    vertx.cancelTimer(totalTimer);
    clearFirstTimer();
    if (idleTimer != -1) {
      vertx.cancelTimer(idleTimer);
    }
    onDone.accept(this);
  }

  private void clearFirstTimer() {
    if (firstTimer != -1) {
      vertx.cancelTimer(firstTimer);
      firstTimer = -1;
    }
  }

  private static String excerpt(String text) {
    String t = text.strip();
    return t.isEmpty() ? "(empty)" : t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }
}
