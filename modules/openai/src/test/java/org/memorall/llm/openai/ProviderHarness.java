package org.memorall.llm.openai;

import org.memorall.llm.Awaits;
import org.memorall.llm.CollectingSink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ProviderFactory;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A provider created through its factory (found with ServiceLoader, as the registry finds it) and driven the way
 * its verticle drives it: every call on one event-loop context.
 */
final class ProviderHarness {

  static final long TIMEOUT_S = 20;
  static final String NAME = "test";

  final Vertx vertx;
  final Context context;
  final LlmProvider provider;
  private final JsonObject config;

  ProviderHarness(Vertx vertx, String type, JsonObject config) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.config = config;
    this.provider = factory(type).create(type, config);
  }

  static ProviderFactory factory(String type) {
    for (ProviderFactory f : ServiceLoader.load(ProviderFactory.class)) {
      if (f.types().contains(type)) {
        return f;
      }
    }
    throw new AssertionError("no factory for type " + type);
  }

  /** Creates and starts a provider of {@code type}. */
  static ProviderHarness started(Vertx vertx, String type, JsonObject config) throws Exception {
    ProviderHarness h = new ProviderHarness(vertx, type, config);
    await(h.call(() -> h.provider.start(h.providerContext())));
    return h;
  }

  ProviderContext providerContext() {
    return new ProviderContext() {
      public Vertx vertx() {
        return vertx;
      }

      public String name() {
        return NAME;
      }

      public JsonObject config() {
        return config;
      }

      public Path modelsDir() {
        return Paths.get("target", "unused-models");
      }
    };
  }

  /** Runs {@code op} on the provider's context. */
  <T> Future<T> call(Supplier<Future<T>> op) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> op.get().onComplete(p));
    return p.future();
  }

  CollectingSink chat(ChatCompletionRequest request) {
    CollectingSink sink = new CollectingSink();
    context.runOnContext(v -> provider.chatCompletions(request.validate(), sink));
    return sink;
  }

  JsonObject status() throws Exception {
    return await(call(() -> Future.succeededFuture(provider.status())));
  }

  void stop() throws Exception {
    await(call(provider::stop));
  }

  static ChatCompletionRequest hello() {
    return new ChatCompletionRequest().withMessage("user", "Hello");
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** The failure of {@code f} as a ServiceException (asserting that it failed). */
  static ServiceException failure(Future<?> f) throws Exception {
    return Awaits.failure(f, TIMEOUT_S);
  }

  /** Asserts status and code of a failure, and returns it for more checks. */
  static ServiceException failure(Future<?> f, int status, String code) throws Exception {
    ServiceException e = failure(f);
    assertEquals(status, e.failureCode(), e.getMessage());
    assertEquals(code, e.getDebugInfo().getString("code"), e.getMessage());
    return e;
  }

  /** Polls {@code condition} until it holds or the timeout passes. */
  static void eventually(String what, Awaits.Check condition) throws Exception {
    Awaits.eventually(what, TIMEOUT_S, condition);
  }
}
