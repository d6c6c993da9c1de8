package org.memorall.llm.gateway;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.nio.charset.StandardCharsets;

/**
 * Server-Sent Events framing on one HTTP response: each event is {@code data: <json>\n\n}, a stream ends with
 * {@code data: [DONE]\n\n}, or with one error event and no [DONE]. The events written in one turn of the event loop
 * (a batch of the stream) leave in one write, flushed at the end of that turn: one syscall per batch instead of one
 * per token, and no wait added to a lone event.
 */
final class SseWriter {

  private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SUFFIX = "\n\n".getBytes(StandardCharsets.UTF_8);
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final HttpServerResponse response;
  private final boolean http1;
  private final Context context;
  private boolean started;
  /** Events framed but not yet written; a flush is scheduled while this is not null. */
  private Buffer pending;

  /** Create on the response's context. */
  SseWriter(HttpServerResponse response, HttpVersion version) {
    this.response = response;
    this.http1 = version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1;
    this.context = Vertx.currentContext();
  }

  /** Sets the status and the SSE headers; they leave with the first events. */
  void start() {
    started = true;
    response.setStatusCode(200)
      .setChunked(true)
      .putHeader("Content-Type", "text/event-stream; charset=utf-8")
      .putHeader("Cache-Control", "no-cache")
      // Tells nginx-like proxies not to buffer the tokens.
      .putHeader("X-Accel-Buffering", "no");
    if (http1) {
      // HTTP/2 forbids connection-specific headers.
      response.putHeader("Connection", "keep-alive");
    }
  }

  boolean started() {
    return started;
  }

  /** One event; {@code json} is the encoded item. */
  void event(Buffer json) {
    if (pending == null) {
      pending = Buffer.buffer(PREFIX.length + json.length() + SUFFIX.length);
      context.runOnContext(v -> flush());
    }
    pending.appendBytes(PREFIX).appendBuffer(json).appendBytes(SUFFIX);
  }

  private void flush() {
    Buffer events = pending;
    pending = null;
    if (events != null && !response.ended() && !response.closed()) {
      response.write(events);
    }
  }

  void done() {
    response.end(take().appendBuffer(DONE));
  }

  /** The error as the last event of a stream that had already started. */
  void error(ServiceException error) {
    JsonObject body = LlmErrors.openAiBody(error);
    Buffer events = take();
    events.appendBytes(PREFIX).appendBuffer(body.toBuffer()).appendBytes(SUFFIX);
    response.end(events);
  }

  /** The events not yet written (their scheduled flush then finds nothing to do). */
  private Buffer take() {
    Buffer events = pending != null ? pending : Buffer.buffer();
    pending = null;
    return events;
  }

  /** True when the connection cannot take more now. */
  boolean writeQueueFull() {
    return response.writeQueueFull();
  }
}
