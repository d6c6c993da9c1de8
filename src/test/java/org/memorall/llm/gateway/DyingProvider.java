package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.Usage;


/**
 * A custom provider (type "custom", config {"class": this class}) that answers "ok" (streamed: all its chunks at
 * once), except that a message containing "die" makes its verticle disappear, as a crashed worker or a lost cluster
 * member would: its address then has no handler. Config {@code startDelayMs}: how long it stays loading when it
 * starts.
 */
public final class DyingProvider extends ModellessProvider {

  static final String ANSWER = "ok";

  private Vertx vertx;
  private volatile boolean started;

  @Override
  public Future<Void> start(ProviderContext context) {
    vertx = context.vertx();
    long delay = context.config().getLong("startDelayMs", 0L);
    Future<Void> loaded = delay > 0 ? vertx.timer(delay).mapEmpty() : Future.succeededFuture();
    return loaded.onSuccess(v -> started = true);
  }

  @Override
  public JsonObject status() {
    return new JsonObject().put("status", started ? "ready" : "loading");
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    if (request.toJson().getJsonArray("messages").encode().contains("die")) {
      // Called on the provider verticle's event loop: its context names the deployment.
      vertx.undeploy(Vertx.currentContext().deploymentID());
      return;
    }
    long created = System.currentTimeMillis() / 1000;
    if (request.isStream()) {
      // The whole stream at once, one chunk per character: it travels as one batch.
      sink.chunk(ChatCompletionChunk.delta("chatcmpl-dying", created, "dying", "assistant", "", null));
      for (char c : ANSWER.toCharArray()) {
        sink.chunk(ChatCompletionChunk.delta("chatcmpl-dying", created, "dying", null, String.valueOf(c), null));
      }
      sink.chunk(ChatCompletionChunk.delta("chatcmpl-dying", created, "dying", null, null, "stop"));
      sink.end();
      return;
    }
    sink.response(ChatCompletionResponse.of("chatcmpl-dying", created, "dying", ANSWER, "stop", Usage.of(1, 1)));
  }
}
