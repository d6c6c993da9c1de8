package org.memorall.llm.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.nio.charset.StandardCharsets;

/**
 * Server-Sent Events framing on one HTTP response: each event is {@code data: <json>\n\n}, a stream ends with
 * {@code data: [DONE]\n\n}, or with one error event and no [DONE].
 */
final class SseWriter {

  private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SUFFIX = "\n\n".getBytes(StandardCharsets.UTF_8);
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final HttpServerResponse response;
  private final boolean http1;

  SseWriter(HttpServerResponse response, HttpVersion version) {
    this.response = response;
    this.http1 = version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1;
  }

  /** Sends the status line and the SSE headers; nothing is sent before this. */
  void start() {
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
    return response.headWritten();
  }

  /** One event; {@code json} is the encoded item, framed in a single write. */
  void event(Buffer json) {
    Buffer frame = Buffer.buffer(PREFIX.length + json.length() + SUFFIX.length)
      .appendBytes(PREFIX).appendBuffer(json).appendBytes(SUFFIX);
    response.write(frame);
  }

  void done() {
    response.end(DONE.copy());
  }

  /** The error as the last event of a stream that had already started. */
  void error(ServiceException error) {
    JsonObject body = LlmErrors.openAiBody(error);
    event(body.toBuffer());
    response.end();
  }

  boolean writeQueueFull() {
    return response.writeQueueFull();
  }
}
