package org.memorall.llm.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.Usage;
import org.memorall.llm.gateway.ModellessProvider;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A custom provider (type "custom", config {"class": this class}) for the cluster tests: it answers
 * {@code max_tokens} tokens "t0 t1 ...", one every {@code intervalMs} (config, default 10), on {@code slots}
 * (config, default 2) slots. Its {@code model} is "ticking@" + the node's name, so a test sees which node answered,
 * and its status counts {@code tokensGenerated}, so a test sees a cancelled generation stop. With {@code stamp}
 * (config) each token is the {@link System#nanoTime()} it was made at (the same clock in every JVM of a machine),
 * for the cluster benchmark.
 */
public final class TickingProvider extends ModellessProvider {

  private final AtomicLong generated = new AtomicLong();
  private Vertx vertx;
  private long intervalMs;
  private int slots;
  private String model;
  private boolean stamp;

  @Override
  public Future<Void> start(ProviderContext context) {
    vertx = context.vertx();
    intervalMs = context.config().getLong("intervalMs", 10L);
    slots = context.config().getInteger("slots", 2);
    stamp = context.config().getBoolean("stamp", false);
    model = "ticking@" + System.getenv().getOrDefault("LLM_NODE_NAME", "local");
    return Future.succeededFuture();
  }

  @Override
  public int slots() {
    return slots;
  }

  @Override
  public JsonObject status() {
    return new JsonObject().put("status", "ready").put("model", model).put("tokensGenerated", generated.get());
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    JsonObject json = request.toJson();
    int tokens = json.getInteger("max_tokens", 20);
    boolean stream = Boolean.TRUE.equals(json.getValue("stream"));
    String id = "chatcmpl-tick-" + System.nanoTime();
    long created = System.currentTimeMillis() / 1000;
    StringBuilder text = new StringBuilder();
    if (stream) {
      sink.chunk(ChatCompletionChunk.delta(id, created, model, "assistant", "", null));
    }
    long[] timer = {-1};
    int[] count = {0};
    sink.onCancel(() -> vertx.cancelTimer(timer[0]));
    timer[0] = vertx.setPeriodic(intervalMs, t -> {
      if (sink.isCancelled()) {
        vertx.cancelTimer(t);
        return;
      }
      String token = stamp ? Long.toString(System.nanoTime()) + " " : (count[0] == 0 ? "" : " ") + "t" + count[0];
      count[0]++;
      generated.incrementAndGet();
      text.append(token);
      if (stream) {
        sink.chunk(ChatCompletionChunk.delta(id, created, model, null, token, null));
      }
      if (count[0] >= tokens) {
        vertx.cancelTimer(t);
        if (stream) {
          sink.chunk(ChatCompletionChunk.delta(id, created, model, null, null, "length"));
          sink.end();
        } else {
          sink.response(ChatCompletionResponse.of(id, created, model, text.toString(), "length",
            Usage.of(1, tokens)));
        }
      }
    });
  }
}
