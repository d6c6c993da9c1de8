package org.memorall.llm.persona;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * A persona: each chat completion is rewritten ({@link PersonaConfig#apply}) and sent to the wrapped LLM through
 * the registry (embeddings are passed through as they are), so the wrapped LLM's queue, slots and errors apply. The wrapped LLM is looked up per request:
 * it may be created after the persona, and a missing one is a 404 naming the available LLMs.
 */
final class PersonaProvider implements LlmProvider {

  /** How far start() follows a chain of personas looking for a cycle. */
  private static final int MAX_CHAIN = 16;

  private final PersonaConfig config;
  private Vertx vertx;
  private String name;
  private LlmClient client;

  PersonaProvider(PersonaConfig config) {
    this.config = config;
  }

  /** Fails with a 400 when the persona would wrap itself, directly or through other personas. */
  @Override
  public Future<Void> start(ProviderContext context) {
    vertx = context.vertx();
    name = context.name();
    client = LlmClient.create(vertx);
    List<String> chain = new ArrayList<>(List.of(name));
    LlmService registry = LlmService.createProxyWithOptions(vertx, new DeliveryOptions().setSendTimeout(5000));
    return checkChain(registry, chain, config.llm);
  }

  private Future<Void> checkChain(LlmService registry, List<String> chain, String next) {
    if (chain.contains(next)) {
      chain.add(next);
      return Future.failedFuture(LlmErrors.invalidField("llm", "Persona '" + name + "' cannot wrap itself: "
        + String.join(" -> ", chain) + ". Set 'llm' to another LLM"));
    }
    if (chain.size() > MAX_CHAIN) {
      return Future.succeededFuture();
    }
    chain.add(next);
    // Best effort: an LLM that does not exist yet, or a registry that does not answer, is no cycle.
    return registry.get(next)
      .compose(info -> isPersona(info) ? checkChain(registry, chain, info.getConfig().getString("llm")) : Future.<Void>succeededFuture())
      .recover(e -> e instanceof ServiceException && ((ServiceException) e).failureCode() == 400
        ? Future.failedFuture(e) : Future.succeededFuture());
  }

  private static boolean isPersona(LlmInfo info) {
    return info != null && "persona".equals(info.getType()) && info.getConfig() != null
      && info.getConfig().getValue("llm") instanceof String;
  }

  /** Streams in flight are cancelled by the runtime when the hosting verticle is undeployed. */
  @Override
  public Future<Void> stop() {
    return Future.succeededFuture();
  }

  /** Only bounds the requests in flight here; the wrapped LLM's own queue limits the real work. */
  @Override
  public int slots() {
    return config.maxConcurrency;
  }

  @Override
  public JsonObject status() {
    return new JsonObject()
      .put("status", "ready")
      .put("llm", config.llm)
      .put("mode", config.mode)
      .put("systemChars", config.system.length());
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    if (sink.isCancelled()) {
      return;
    }
    ChatCompletionRequest inner = config.apply(request, name);
    Context context = vertx.getOrCreateContext();
    LlmStream<?> stream;
    if (request.isStream()) {
      LlmStream<ChatCompletionChunk> chunks = client.streamChatCompletions(config.llm, inner);
      chunks.handler(sink::chunk).endHandler(v -> sink.end());
      stream = chunks;
    } else {
      LlmStream<ChatCompletionResponse> single = client.completion(config.llm, inner);
      single.handler(sink::response)
        .endHandler(v -> sink.fail(LlmErrors.internal("LLM '" + config.llm + "' ended without a response")));
      stream = single;
    }
    stream.exceptionHandler(e -> sink.fail(explain(e)));
    // LlmStream must be used from the context that opened it; the sink may call back from any thread.
    sink.onCancel(() -> onContext(context, v -> stream.cancel()));
  }

  /**
   * The wrapped LLM's embeddings, unchanged: the system prompt and defaults shape chats, and a vector must be that
   * of the text alone to compare with the wrapped LLM's. {@code model} is dropped when it names the persona.
   */
  @Override
  public Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    JsonObject json = request.toJson().copy();
    if (name.equals(json.getValue("model"))) {
      json.remove("model");
    }
    return client.embeddings(config.llm, new EmbeddingRequest(json)).recover(e -> Future.failedFuture(explain(e)));
  }

  @Override
  public Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress) {
    return Future.failedFuture(unsupported("serve models"));
  }

  @Override
  public Future<ModelList> models() {
    return client.service().models(config.llm).recover(e -> Future.failedFuture(explain(e)));
  }

  @Override
  public Future<Void> unload(String modelId) {
    return Future.failedFuture(unsupported("unload models"));
  }

  @Override
  public Future<Void> delete(String modelId) {
    return Future.failedFuture(unsupported("delete models"));
  }

  private ServiceException unsupported(String what) {
    return LlmErrors.unsupported("LLM '" + name + "' is a persona over LLM '" + config.llm + "' and has no models of"
      + " its own: " + what + " through LLM '" + config.llm + "'");
  }

  /** The wrapped LLM's failure, status kept; a 404 also says which persona looked for the missing LLM. */
  private ServiceException explain(Throwable error) {
    ServiceException e = LlmErrors.from(error);
    if (e.failureCode() != 404) {
      return e;
    }
    return new ServiceException(404, e.getMessage() + " (LLM '" + name + "' is a persona over '" + config.llm + "')",
      e.getDebugInfo());
  }

  private static void onContext(Context context, Handler<Void> action) {
    if (Vertx.currentContext() == context) {
      action.handle(null);
    } else {
      context.runOnContext(action);
    }
  }
}
