package org.memorall.llm.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;

import java.util.function.Function;

/**
 * Relays an {@link LlmStream} to the client as Server-Sent Events. Headers wait for the first item, so a failure
 * before it is an ordinary HTTP error; a failure after it is the stream's last event. A client that goes away
 * cancels the stream, which stops the generation and frees its slot.
 */
final class SseRelay {

  private SseRelay() {
  }

  static <T> void relay(RoutingContext ctx, LlmStream<T> stream, Function<T, Buffer> encode) {
    HttpServerResponse response = ctx.response();
    SseWriter sse = new SseWriter(response, ctx.request().version());
    response.closeHandler(v -> stream.cancel());
    stream
      .handler(item -> {
        if (response.closed()) {
          stream.cancel();
          return;
        }
        if (!sse.started()) {
          Responses.servedBy(response, stream);
          sse.start();
        }
        sse.event(encode.apply(item));
        if (sse.writeQueueFull()) {
          stream.pause();
          response.drainHandler(v -> stream.resume());
        }
      })
      .exceptionHandler(err -> {
        ServiceException error = LlmErrors.from(err);
        if (!sse.started()) {
          ctx.fail(error);
        } else if (!response.closed()) {
          sse.error(error);
        }
      })
      .endHandler(v -> {
        if (response.closed()) {
          return;
        }
        if (!sse.started()) {
          sse.start();
        }
        sse.done();
      });
  }
}
