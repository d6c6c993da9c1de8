package org.memorall.llm.registry;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.stream.StreamProducer;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * One chat completion's way through the registry: wait for a slot of the LLM, relay its provider's stream to the
 * client, retry transient failures with backoff while nothing was sent, and fall back to the LLM's fallbacks when
 * it fails, is missing or not ready. A stream that breaks after tokens were sent continues on the next fallback
 * with the original messages plus the partial answer, under the same chunk id, so the client sees one stream.
 * Runs on the registry's context.
 */
final class ChatRelay {

  private static final Logger LOG = Logger.getLogger(ChatRelay.class.getName());

  private final Vertx vertx;
  private final Registry registry;
  private final StreamProducer out;
  private final JsonObject body;
  private final boolean stream;
  private final long startedNanos = System.nanoTime();
  private final List<String> chain = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final StringBuilder partial = new StringBuilder();
  private RoutingPolicy policy;
  private int index;
  private int attempt;
  private boolean sent;
  private int chunksSent;
  private String streamId;

  ChatRelay(Vertx vertx, Registry registry, StreamProducer out, JsonObject body) {
    this.vertx = vertx;
    this.registry = registry;
    this.out = out;
    this.body = body;
    this.stream = Boolean.TRUE.equals(body.getValue("stream"));
  }

  void start(String name) {
    chain.add(name);
    tryLlm();
  }

  private void tryLlm() {
    String name = chain.get(index);
    LlmEntry entry;
    try {
      entry = registry.lookup(name);
    } catch (ServiceException e) {
      failover(name, e);
      return;
    }
    if (policy == null) {
      // The first LLM's policy rules the whole request: its retries, its fallbacks, in its order.
      policy = entry.policy;
      entry.policy.fallbacks.stream().filter(f -> !chain.contains(f)).forEach(chain::add);
    }
    registry.ready(entry).onComplete(ar -> {
      if (out.isClosed()) {
        return;
      }
      if (ar.failed()) {
        failover(name, LlmErrors.from(ar.cause()));
      } else {
        acquire(entry);
      }
    });
  }

  private void acquire(LlmEntry entry) {
    LlmEntry.Waiter waiter = entry.acquire();
    out.cancelHandler(waiter::leave);
    waiter.future().onComplete(ar -> {
      if (ar.failed()) {
        failover(entry.name, LlmErrors.from(ar.cause()));
      } else if (out.isClosed()) {
        entry.release();
      } else {
        relay(entry);
      }
    });
  }

  private void relay(LlmEntry entry) {
    out.meta(new JsonObject().put(LlmStream.SERVED_BY, entry.name));
    LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.provider(entry.name), LlmClient.ACTION_CHAT,
      sent ? continuation() : body, null, json -> json);
    inner.closeHandler(v -> entry.release());
    out.cancelHandler(inner::cancel);
    boolean resumed = sent;
    inner.handler(item -> forward(item, resumed))
      .exceptionHandler(e -> onFailure(entry, LlmErrors.from(e)))
      .endHandler(v -> out.end());
  }

  private void forward(JsonObject item, boolean resumed) {
    if (stream) {
      JsonObject delta = firstDelta(item);
      if (resumed && delta != null && delta.containsKey("role") && "".equals(delta.getString("content", ""))) {
        return; // the client already has the role chunk of this stream
      }
      if (streamId == null) {
        streamId = item.getString("id");
      } else if (item.containsKey("id")) {
        item.put("id", streamId);
      }
      if (delta != null && delta.getValue("content") instanceof String) {
        partial.append(delta.getString("content"));
        chunksSent++;
      }
    }
    sent = true;
    out.write(item);
  }

  private void onFailure(LlmEntry entry, ServiceException error) {
    if (out.isClosed()) {
      return;
    }
    long elapsedMs = (System.nanoTime() - startedNanos) / 1_000_000;
    if (!sent && retryable(error) && attempt + 1 < policy.maxAttempts) {
      long delay = policy.backoffMs(attempt + 1, LlmErrors.retryAfterMs(error));
      if (elapsedMs + delay <= policy.deadlineMs) {
        attempt++;
        LOG.info(() -> "LLM '" + entry.name + "' failed (" + error.failureCode() + " " + error.getMessage()
          + "); retry " + attempt + " in " + delay + " ms");
        vertx.setTimer(delay, id -> {
          if (!out.isClosed()) {
            acquire(entry);
          }
        });
        return;
      }
    }
    failover(entry.name, error);
  }

  /** The LLM {@code name} failed for good: try the next in the chain, or end the request with the error. */
  private void failover(String name, ServiceException error) {
    failures.add(name + ": " + error.getMessage());
    boolean canResume = !sent || (stream && policy != null && policy.resumeOnFallback);
    if (index + 1 < chain.size() && canResume && fallsOver(error)) {
      index++;
      attempt = 0;
      String next = chain.get(index);
      LOG.info(() -> "LLM '" + name + "' failed (" + error.getMessage() + "); falling back to '" + next + "'"
        + (sent ? " to continue the stream" : ""));
      tryLlm();
      return;
    }
    if (failures.size() > 1) {
      out.fail(LlmErrors.of(error.failureCode(), "server_error", null, "all_llms_failed",
        "No LLM could answer. Tried " + String.join("; ", failures)));
    } else {
      out.fail(error);
    }
  }

  /** The original request plus the answer so far as an assistant message, for the rest of the answer. */
  private JsonObject continuation() {
    JsonObject next = body.copy();
    JsonArray messages = next.getJsonArray("messages").copy();
    messages.add(new JsonObject().put("role", "assistant").put("content", partial.toString()));
    next.put("messages", messages);
    for (String key : new String[]{"max_tokens", "max_completion_tokens"}) {
      if (next.getValue(key) instanceof Number) {
        next.put(key, Math.max(1, next.getInteger(key) - chunksSent));
      }
    }
    return next;
  }

  /** Transient failures: rate limits, server errors and timeouts, but not the registry's own queue verdicts. */
  private static boolean retryable(ServiceException e) {
    String code = e.getDebugInfo() == null ? null : e.getDebugInfo().getString("code");
    if (LlmEntry.QUEUE_FULL.equals(code) || LlmEntry.QUEUE_TIMEOUT.equals(code) || LlmEntry.REMOVED.equals(code)) {
      return false;
    }
    int s = e.failureCode();
    return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
  }

  /** Worth trying elsewhere: the LLM is missing, overloaded or broken; a bad request would fail anywhere. */
  private static boolean fallsOver(ServiceException e) {
    int s = e.failureCode();
    return s == 404 || s == 408 || s == 429 || s >= 500;
  }

  private static JsonObject firstDelta(JsonObject chunk) {
    Object choices = chunk.getValue("choices");
    if (choices instanceof JsonArray && !((JsonArray) choices).isEmpty()
      && ((JsonArray) choices).getValue(0) instanceof JsonObject) {
      return ((JsonArray) choices).getJsonObject(0).getJsonObject("delta");
    }
    return null;
  }
}
