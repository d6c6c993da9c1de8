package org.memorall.llm.llamacpp;

import org.memorall.llm.Awaits;
import org.memorall.llm.CollectingSink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderContext;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;


/** A provider created through the factory and driven the way its verticle does: calls on one event-loop context. */
final class Harness {

  static final long TIMEOUT_S = 30;

  final Vertx vertx;
  final Context context;
  final Path modelsDir;
  final LlmProvider provider;
  private final JsonObject config;

  Harness(Vertx vertx, Path modelsDir, JsonObject config) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.modelsDir = modelsDir;
    this.config = config;
    this.provider = new LlamaCppProviderFactory().create("llamacpp", config);
  }

  ProviderContext providerContext() {
    return new ProviderContext() {
      public Vertx vertx() {
        return vertx;
      }

      public String name() {
        return "test";
      }

      public JsonObject config() {
        return config;
      }

      public Path modelsDir() {
        return modelsDir;
      }
    };
  }

  Future<Void> start() {
    return call(() -> provider.start(providerContext()));
  }

  /** Runs {@code op} on the provider's context. */
  <T> Future<T> call(Supplier<Future<T>> op) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> op.get().onComplete(p));
    return p.future();
  }

  CollectingSink chat(ChatCompletionRequest request) {
    return chat(request, new CollectingSink());
  }

  CollectingSink chat(ChatCompletionRequest request, CollectingSink sink) {
    context.runOnContext(v -> provider.chatCompletions(request.validate(), sink));
    return sink;
  }

  ChatCompletionResponse complete(ChatCompletionRequest request) throws Exception {
    return await(chat(request).done());
  }

  JsonObject status() throws Exception {
    return await(call(() -> Future.succeededFuture(provider.status())));
  }

  static ChatCompletionRequest story(int maxTokens) {
    return new ChatCompletionRequest().withMessage("user", "Once upon a time").setTemperature(0.0).setMaxTokens(maxTokens);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** The failure of {@code f} as a ServiceException (asserting that it failed). */
  static ServiceException failure(Future<?> f) throws Exception {
    return Awaits.failure(f, TIMEOUT_S);
  }

  /** Polls {@code condition} until it holds or the timeout passes. */
  static void eventually(String what, Awaits.Check condition) throws Exception {
    Awaits.eventually(what, TIMEOUT_S, condition);
  }
}
