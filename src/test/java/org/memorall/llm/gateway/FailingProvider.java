package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

/**
 * A custom provider (type "custom", config {"class": this class}) that fails on purpose. Config {@code failOn}:
 * {@code "start"} (start throws), {@code "chat"} (chatCompletions throws a RuntimeException) or {@code "error"}
 * (chatCompletions throws an Error, as a linkage problem or a failed assertion would).
 */
public final class FailingProvider implements LlmProvider {

  static final String MESSAGE = "provider exploded on purpose";

  private String failOn = "chat";

  @Override
  public Future<Void> start(ProviderContext context) {
    failOn = context.config().getString("failOn", "chat");
    if ("start".equals(failOn)) {
      throw new IllegalStateException(MESSAGE + " (start)");
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> stop() {
    return Future.succeededFuture();
  }

  @Override
  public int slots() {
    return 1;
  }

  @Override
  public JsonObject status() {
    return new JsonObject().put("status", "ready");
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    if ("error".equals(failOn)) {
      throw new AssertionError(MESSAGE + " (error)");
    }
    throw new IllegalStateException(MESSAGE + " (chat)");
  }

  @Override
  public Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress) {
    return Future.failedFuture(new UnsupportedOperationException("no models"));
  }

  @Override
  public Future<ModelList> models() {
    return Future.succeededFuture(ModelList.of(java.util.List.of()));
  }

  @Override
  public Future<Void> unload(String modelId) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> delete(String modelId) {
    return Future.succeededFuture();
  }
}
