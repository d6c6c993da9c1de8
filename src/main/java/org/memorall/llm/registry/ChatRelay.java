package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.RequestTimeouts;
import org.memorall.llm.stream.StreamProducer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One chat completion's way through the registry: wait for a slot of the LLM, relay its provider's stream to the
 * client, retry transient failures with backoff while nothing was sent, and fall back to the LLM's fallbacks when
 * it fails, is missing or not ready. A stream that breaks after tokens were sent continues on the next fallback
 * with the original messages plus the partial answer, under the same chunk id, so the client sees one stream.
 * The request has a deadline and, when streamed, a first-token timeout, both counted from its arrival (time queued
 * included): when one passes, the request ends with a 504 and its generation is cancelled, which frees its slot.
 * Runs on the registry's context.
 */
final class ChatRelay {

  private static final Logger LOG = Logger.getLogger(ChatRelay.class.getName());

  private final Vertx vertx;
  private final Registry registry;
  private final StreamProducer out;
  private final JsonObject body;
  private final RequestTimeouts timeouts;
  private final boolean stream;
  /** Sent here by another node's registry: served by this node's provider only, no retries or fallbacks. */
  private final boolean direct;
  private final long startedNanos = System.nanoTime();
  private final List<String> chain = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  /** The failure whose status the request ends with if every LLM fails: the last of an LLM that exists. */
  private ServiceException decisive;
  /** LLMs of the chain that do not exist (in this registry, nor in the cluster). */
  private final Set<String> missing = new HashSet<>();
  private final StringBuilder partial = new StringBuilder();
  private RoutingPolicy policy;
  private int index;
  private int attempt;
  private boolean sent;
  private int chunksSent;
  private String streamId;
  private LlmEntry.Waiter waiter;
  /** How long the request waited for its slot (the last wait, after a retry). */
  private long queueWaitMs;
  private LlmStream<JsonObject> inner;
  /** The node serving the current attempt, when it is another node (see {@link ClusterRoutes}). */
  private ClusterView.Replica remote;
  private boolean tokenSeen;
  private boolean aborted;
  private long requestTimer = -1;
  private long firstTokenTimer = -1;

  ChatRelay(Vertx vertx, Registry registry, StreamProducer out, JsonObject body, RequestTimeouts timeouts,
            boolean direct) {
    this.vertx = vertx;
    this.registry = registry;
    this.out = out;
    this.body = body;
    this.timeouts = timeouts;
    this.stream = Boolean.TRUE.equals(body.getValue("stream"));
    this.direct = direct;
  }

  void start(String name) {
    chain.add(name);
    tryLlm();
  }

  private void tryLlm() {
    String name = chain.get(index);
    LlmEntry entry;
    ClusterView.Replica target = null;
    ClusterRoutes cluster = direct ? null : registry.cluster();
    try {
      target = cluster == null ? null : cluster.route(name);
      entry = target != null ? null : registry.lookup(name);
    } catch (ServiceException e) {
      if (cluster != null && e.failureCode() == 404) {
        cluster.orMissing(name, Future.failedFuture(e)).onFailure(error -> {
          if (!over()) {
            lookupFailed(name, LlmErrors.from(error));
          }
        });
        return;
      }
      lookupFailed(name, e);
      return;
    }
    if (policy == null) {
      // The first LLM's policy rules the whole request: its retries, its fallbacks, in its order.
      policy = entry != null ? entry.policy : registry.policy(target.policy());
      if (!direct) {
        policy.fallbacks.stream().filter(f -> !chain.contains(f)).forEach(chain::add);
      }
      startTimers();
    }
    if (target != null) {
      relayRemote(target);
    } else {
      enter(entry);
    }
  }

  /** Relays the stream of another node's replica; that node queues the request for its provider's slots. */
  private void relayRemote(ClusterView.Replica target) {
    ClusterRoutes cluster = registry.cluster();
    DeliveryOptions options = timeouts == null ? new DeliveryOptions() : timeouts.applyTo(new DeliveryOptions());
    options.addHeader(LlmClient.HEADER_LLM, target.llm()).addHeader(ClusterRoutes.HEADER_ORIGIN, cluster.view.nodeId);
    LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.nodeStream(target.nodeId()),
      LlmClient.ACTION_CHAT, sent ? continuation() : body, options, json -> json);
    this.inner = inner;
    this.remote = target;
    cluster.track(target.nodeId(), this);
    inner.closeHandler(v -> cluster.untrack(target.nodeId(), this));
    out.cancelHandler(inner::cancel);
    boolean resumed = sent;
    boolean[] metaSent = {false};
    inner.handler(item -> {
      if (!metaSent[0]) {
        metaSent[0] = true;
        out.meta(inner.meta()); // the serving node's: which LLM, how long it queued
      }
      forward(item, resumed);
    })
      .exceptionHandler(e -> remoteFailed(target, LlmErrors.from(e)))
      .endHandler(v -> out.end());
  }

  /** The node serving this request left the cluster: the request fails over as if its provider had failed. */
  void nodeLost(ServiceException error) {
    ClusterView.Replica target = remote;
    if (inner != null) {
      inner.cancel();
    }
    if (target != null) {
      remoteFailed(target, error);
    }
  }

  private void remoteFailed(ClusterView.Replica target, ServiceException error) {
    if (over() || remote != target) {
      return;
    }
    remote = null;
    decide(target.llm(), error, this::tryLlm);
  }

  /** Waits for the LLM to be ready (a failed one fails fast), then for a slot. */
  private void enter(LlmEntry entry) {
    remote = null;
    registry.ready(entry).onComplete(ar -> {
      if (over()) {
        return;
      }
      if (ar.failed()) {
        failover(entry.name, LlmErrors.from(ar.cause()));
      } else {
        acquire(entry);
      }
    });
  }

  private void acquire(LlmEntry entry) {
    long queuedAt = System.nanoTime();
    LlmEntry.Waiter w = entry.acquire();
    waiter = w;
    out.cancelHandler(w::leave);
    w.future().onComplete(ar -> {
      waiter = null;
      if (over()) {
        if (ar.succeeded()) {
          entry.release();
        }
      } else if (ar.failed()) {
        failover(entry.name, LlmErrors.from(ar.cause()));
      } else {
        queueWaitMs = (System.nanoTime() - queuedAt) / 1_000_000;
        relay(entry);
      }
    });
  }

  private void relay(LlmEntry entry) {
    out.meta(new JsonObject().put(LlmStream.SERVED_BY, entry.name).put(LlmStream.QUEUE_WAIT_MS, queueWaitMs));
    LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.provider(entry.name), LlmClient.ACTION_CHAT,
      entry.policy.capMaxTokens(sent ? continuation() : body), null, json -> json);
    this.inner = inner;
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
      if (delta != null && delta.getValue("content") instanceof String content && !content.isEmpty()) {
        partial.append(content);
        chunksSent++; // a token each; the role chunk's empty content is none
      }
    }
    if (!tokenSeen && !isRoleOnly(item)) {
      tokenSeen = true;
      vertx.cancelTimer(firstTokenTimer);
    }
    sent = true;
    out.write(item);
  }

  /** The provider failed this request: first find out whether the LLM itself broke, then retry or fall back. */
  private void onFailure(LlmEntry entry, ServiceException error) {
    if (over()) {
      return;
    }
    if (error.failureCode() == 499 || "cancelled".equals(code(error))) {
      decide(entry.name, error, () -> enter(entry));
      return;
    }
    registry.checkHealth(entry).onComplete(v -> {
      if (!over()) {
        decide(entry.name, entry.failure() != null ? entry.failedError() : error, () -> enter(entry));
      }
    });
  }

  /** Retries the LLM {@code name} ({@code again}) after a backoff, or fails over. */
  private void decide(String name, ServiceException error, Runnable again) {
    long elapsedMs = (System.nanoTime() - startedNanos) / 1_000_000;
    // The node serving it left, or is shutting down and its grace period ran out (only another node's registry
    // sends that error here: this node's own shutdown aborts its requests).
    ClusterRoutes cluster = direct ? null : registry.cluster();
    boolean nodeLeft = cluster != null
      && (ClusterRoutes.NODE_LEFT.equals(code(error)) || RegistryShutdown.SHUTTING_DOWN.equals(code(error)));
    if (nodeLeft && !cluster.serves(name)) {
      failover(name, error); // no replica left: the clearest error is that the node left
      return;
    }
    if (nodeLeft && sent && stream && policy.resumeOnFallback && attempt + 1 < policy.maxAttempts) {
      // Another replica of the same LLM continues the stream at once.
      attempt++;
      LOG.info(() -> error.getMessage() + "; continuing the stream of LLM '" + name + "' elsewhere");
      again.run();
      return;
    }
    if (!direct && !sent && retryable(error) && attempt + 1 < policy.maxAttempts) {
      long delay = policy.backoffMs(attempt + 1, LlmErrors.retryAfterMs(error));
      if (elapsedMs + delay <= policy.deadlineMs) {
        attempt++;
        LOG.info(() -> "LLM '" + name + "' failed (" + error.failureCode() + " " + error.getMessage()
          + "); retry " + attempt + " in " + delay + " ms");
        vertx.setTimer(delay, id -> {
          if (!over()) {
            again.run();
          }
        });
        return;
      }
    }
    failover(name, error);
  }

  /**
   * Finding the LLM {@code name} failed: a 404 says it does not exist (other errors: the cluster knows it and no
   * node serves it now, or the default's recipe failed to create it).
   */
  private void lookupFailed(String name, ServiceException error) {
    if (error.failureCode() == 404) {
      missing.add(name);
    }
    failover(name, error);
  }

  /** The LLM {@code name} failed for good: try the next in the chain, or end the request with the error. */
  private void failover(String name, ServiceException error) {
    failures.add(name + ": " + error.getMessage());
    if (decisive == null || !missing.contains(name)) {
      decisive = error; // a missing fallback is named, but its 404 does not stand for the LLMs that failed
    }
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
      out.fail(LlmErrors.of(decisive.failureCode(), "server_error", null, "all_llms_failed",
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

  /**
   * Transient failures: rate limits, server errors and timeouts, but not the registry's own verdicts (a full
   * queue, a failed LLM backing off: retrying soon would get the same answer).
   */
  private static boolean retryable(ServiceException e) {
    String code = code(e);
    if (LlmEntry.QUEUE_FULL.equals(code) || LlmEntry.QUEUE_TIMEOUT.equals(code) || LlmEntry.REMOVED.equals(code)
      || LlmEntry.FAILED.equals(code)) {
      return false;
    }
    int s = e.failureCode();
    return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
  }

  /**
   * Worth trying elsewhere: the LLM is missing, overloaded or broken, or cannot honour part of the request (a local
   * model sent tools or an image); a bad request would fail anywhere.
   */
  private static boolean fallsOver(ServiceException e) {
    int s = e.failureCode();
    return s == 404 || s == 408 || s == 429 || s >= 500 || LlmErrors.UNSUPPORTED_PARAMETER.equals(code(e));
  }

  // ---- time limits ----

  /** Arms the deadline and the first-token timeout, the shorter of the request's and the first LLM's. */
  private void startTimers() {
    long request = limit(policy.requestTimeoutMs, timeouts == null ? null : timeouts.getRequestTimeoutMs());
    long firstToken = limit(policy.firstTokenTimeoutMs, timeouts == null ? null : timeouts.getFirstTokenTimeoutMs());
    requestTimer = vertx.setTimer(remaining(request), id -> abort(LlmErrors.of(504, "server_error", null,
      "request_timeout", "The request to LLM '" + current() + "' did not finish within " + request
        + " ms (X-Request-Timeout-Ms or the LLM's requestTimeoutMs); it was stopped")));
    // A non-streamed answer arrives whole, so its first token is its last: only the deadline bounds it.
    if (stream && !tokenSeen) {
      firstTokenTimer = vertx.setTimer(remaining(firstToken), id -> {
        if (!tokenSeen) {
          abort(LlmErrors.of(504, "server_error", null, "first_token_timeout", "LLM '" + current()
            + "' sent no token within " + firstToken + " ms (X-First-Token-Timeout-Ms or the LLM's "
            + "firstTokenTimeoutMs); the request was stopped"));
        }
      });
    }
  }

  private static long limit(long configured, Long asked) {
    return asked == null ? configured : Math.min(configured, asked);
  }

  /** Milliseconds left of {@code limitMs} counted from the request's arrival (at least 1, for setTimer). */
  private long remaining(long limitMs) {
    return Math.max(1, limitMs - (System.nanoTime() - startedNanos) / 1_000_000);
  }

  private String current() {
    return chain.get(index);
  }

  /**
   * Ends the request now with {@code error}: leaves the queue, or cancels the generation (its slot is freed when
   * the provider confirms). Used for time limits and for the end of a shutdown's grace period.
   */
  void abort(ServiceException error) {
    if (over()) {
      return;
    }
    aborted = true;
    LOG.info(() -> "Ending a request to LLM '" + current() + "': " + error.getMessage());
    if (waiter != null) {
      waiter.leave();
    }
    if (inner != null) {
      inner.cancel();
    }
    out.fail(error);
  }

  /** The request is over (answered, aborted or cancelled by its client): nothing more may start for it. */
  private boolean over() {
    return aborted || out.isClosed();
  }

  /** The stream to the client is over: its timers must not fire. */
  void closed() {
    vertx.cancelTimer(requestTimer);
    vertx.cancelTimer(firstTokenTimer);
  }

  /** The first chunk of a stream only names the role; it is not a token yet. */
  private boolean isRoleOnly(JsonObject item) {
    JsonObject delta = stream ? firstDelta(item) : null;
    if (delta == null || item.getJsonArray("choices").getJsonObject(0).getValue("finish_reason") != null) {
      return false;
    }
    for (String key : delta.fieldNames()) {
      Object value = delta.getValue(key);
      if (!"role".equals(key) && value != null && !"".equals(value)) {
        return false;
      }
    }
    return true;
  }

  private static String code(ServiceException e) {
    return e.getDebugInfo() == null ? null : e.getDebugInfo().getString("code");
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
