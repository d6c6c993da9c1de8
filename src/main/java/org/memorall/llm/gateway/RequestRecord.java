package org.memorall.llm.gateway;

import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.Usage;

/**
 * What the access log and the metrics need to know about one request beyond its status: when it arrived, when its
 * first token left, and how many tokens it generated. The routes report to it; only counts and times, never
 * content.
 */
final class RequestRecord {

  private static final String KEY = RequestRecord.class.getName();
  /** For a context that {@link RequestObserver} did not see (it always does once mounted). */
  private static final RequestRecord NONE = new RequestRecord(0);

  final long startNanos;
  private long firstTokenNanos = -1;
  private int chunks;
  private int completionTokens = -1;

  private RequestRecord(long startNanos) {
    this.startNanos = startNanos;
  }

  static RequestRecord start(RoutingContext ctx) {
    RequestRecord record = new RequestRecord(System.nanoTime());
    ctx.put(KEY, record);
    return record;
  }

  static RequestRecord of(RoutingContext ctx) {
    RequestRecord record = ctx.get(KEY);
    return record == null ? NONE : record;
  }

  /** A whole (non-streamed) answer: its usage says how many tokens. */
  void completion(ChatCompletionResponse response) {
    try {
      usage(response.getUsage());
    } catch (RuntimeException e) {
      // A usage of an odd shape from an upstream: the tokens stay unknown.
    }
  }

  /** A chunk about to be sent: a content delta counts as a token, a usage chunk gives the exact count. */
  synchronized void chunk(ChatCompletionChunk chunk) {
    try {
      String content = chunk.getContent();
      if (content != null && !content.isEmpty()) {
        if (firstTokenNanos < 0) {
          firstTokenNanos = System.nanoTime();
        }
        chunks++;
      }
      usage(chunk.getUsage());
    } catch (RuntimeException e) {
      // An upstream's odd chunk (content not a string) is relayed as it is; it just is not counted.
    }
  }

  private synchronized void usage(Usage usage) {
    if (usage != null) {
      completionTokens = usage.getCompletionTokens();
    }
  }

  /** Completion tokens from the usage when it was sent, else the content chunks counted; -1 when none. */
  synchronized int tokens() {
    return completionTokens >= 0 ? completionTokens : firstTokenNanos >= 0 ? chunks : -1;
  }

  /** Nanoseconds from arrival to the first token of a stream, or -1. */
  synchronized long timeToFirstTokenNanos() {
    return firstTokenNanos < 0 ? -1 : firstTokenNanos - startNanos;
  }
}
