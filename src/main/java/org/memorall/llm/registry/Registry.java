package org.memorall.llm.registry;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.metrics.Metrics;

import java.util.List;
import java.util.Map;

/**
 * The registry of the spec: named LLMs, each a deployed {@link ProviderVerticle}. It creates the default LLM on
 * first use, makes concurrent users of an LLM that is still loading wait for the one load ({@link LlmLifecycle}),
 * and queues chat completions per LLM ({@link LlmEntry}, {@link StreamRouter}). This class is the
 * {@link LlmService} facade over those parts. Runs on the registry verticle's context only.
 */
public final class Registry implements LlmService {

  private final Vertx vertx;
  private final RegistryConfig config;
  private final LlmClient client;
  private final RegistryShutdown shutdown;
  private final LlmLifecycle llms;
  private final LlmInfos infos;
  private final StreamRouter streams;
  /** The other nodes, when clustered (README "Clustering"); null on a single node. */
  private ClusterRoutes cluster;

  public Registry(Vertx vertx, RegistryConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.client = LlmClient.create(vertx);
    RegistryMetrics metrics = new RegistryMetrics(Metrics.registry(vertx));
    this.shutdown = new RegistryShutdown(vertx);
    this.llms = new LlmLifecycle(vertx, config, metrics, shutdown);
    this.infos = new LlmInfos(llms);
    this.streams = new StreamRouter(vertx, this, shutdown, metrics);
  }

  // ---- what the cluster and the chat relays use ----

  /** Joins the cluster: requests may go to other nodes' replicas, and this node's LLMs are reported to them. */
  void cluster(ClusterRoutes routes) {
    this.cluster = routes;
  }

  /** See {@link LlmLifecycle#createsDefault}. */
  void createsDefault(boolean creates, Runnable created) {
    llms.createsDefault(creates, created);
  }

  /** The canonical type of this node's configured default LLM. */
  String defaultType() {
    return llms.canonicalType(config.defaultType());
  }

  ClusterRoutes cluster() {
    return cluster;
  }

  String canonicalType(String type) {
    return llms.canonicalType(type);
  }

  String requestedType(String type, JsonObject config) {
    return llms.requestedType(type, config);
  }

  /** This node's LLMs that are ready, and their load, for the other nodes (see {@link ClusterView}). */
  JsonObject localLoad() {
    JsonObject load = new JsonObject();
    if (shutdown.closing()) {
      return load; // shutting down: the other nodes send nothing new here, what runs may finish
    }
    llms.all().stream().filter(e -> e.deployment.succeeded() && e.failure() == null).forEach(e -> {
      JsonObject policy = e.config.copy();
      policy.fieldNames().removeIf(k -> !RoutingPolicy.KEYS.contains(k));
      load.put(e.name, new JsonObject().put("type", e.type).put("policy", policy).put("slots", e.slots())
        .put("inFlight", e.inFlight()).put("queued", e.queued()));
    });
    return load;
  }

  /** The local entry named {@code name}, or null. */
  LlmEntry local(String name) {
    return llms.get(name);
  }

  RoutingPolicy policy(JsonObject llmConfig) {
    return llms.policy(llmConfig);
  }

  /** See {@link LlmLifecycle#ready}. */
  Future<LlmEntry> ready(LlmEntry entry) {
    return llms.ready(entry);
  }

  /** See {@link LlmLifecycle#checkHealth}. */
  Future<Void> checkHealth(LlmEntry entry) {
    return llms.checkHealth(entry);
  }

  /** How long a call to a provider may take (the node's {@code queue.requestTimeoutMs}). */
  long requestTimeoutMs() {
    return config.requestTimeoutMs();
  }

  /** The name of the default LLM (created on first use). */
  String defaultName() {
    return config.defaultName();
  }

  /** The entry named {@code name}, maybe still loading; the default LLM is created on first use. */
  LlmEntry lookup(String name) {
    LlmEntry entry = llms.lookup(name);
    if (entry == null) {
      throw notFound(name);
    }
    return entry;
  }

  /** The ready entry named {@code name}; the default LLM is created on first use. */
  Future<LlmEntry> entry(String name) {
    try {
      return llms.ready(lookup(name));
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
  }

  private ServiceException notFound(String name) {
    if (cluster != null) {
      return cluster.notFound(name, llms.names());
    }
    return LlmErrors.notFound(name, llms.names());
  }

  // ---- LLM management ----

  @Override
  public Future<LlmInfo> create(String name, String type, JsonObject config) {
    try {
      return llms.ready(llms.register(name, type, config == null ? new JsonObject() : config)).compose(infos::info);
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
  }

  @Override
  public Future<LlmInfo> get(String name) {
    LlmEntry entry = llms.get(name);
    return entry == null ? Future.succeededFuture() : infos.info(entry);
  }

  @Override
  public Future<LlmInfo> getRequired(String name) {
    LlmEntry entry = llms.get(name);
    return entry == null ? Future.failedFuture(notFound(name)) : infos.info(entry);
  }

  @Override
  public Future<Boolean> has(String name) {
    return Future.succeededFuture(llms.get(name) != null);
  }

  @Override
  public Future<Boolean> remove(String name) {
    return llms.remove(name);
  }

  @Override
  public Future<List<String>> getNames() {
    return Future.succeededFuture(llms.names());
  }

  @Override
  public Future<LlmInfo> getInfo(String name) {
    return get(name);
  }

  @Override
  public Future<Map<String, LlmInfo>> getAllInfo() {
    return infos.all();
  }

  // ---- requests ----

  @Override
  public Future<ChatCompletionResponse> chatCompletions(ChatCompletionRequest request) {
    return client.chatCompletions(null, request);
  }

  @Override
  public Future<ChatCompletionResponse> chatCompletionsFor(String name, ChatCompletionRequest request) {
    return name == null ? Future.failedFuture(LlmErrors.invalidField("name", "'name' is required"))
      : client.chatCompletions(name, request);
  }

  @Override
  public Future<ModelInfo> serve(String name, ServeRequest request) {
    Promise<ModelInfo> promise = Promise.promise();
    client.serve(name, request)
      .handler(progress -> {
        JsonObject model = progress.toJson().getJsonObject("model");
        if (model != null) {
          promise.tryComplete(new ModelInfo(model));
        }
      })
      .exceptionHandler(promise::tryFail)
      .endHandler(v -> promise.tryFail(LlmErrors.internal("serve ended without a model")));
    return promise.future();
  }

  @Override
  public Future<ModelList> models(String name) {
    return providerCall(name, ProviderVerticle.ACTION_MODELS, new JsonObject()).map(ModelList::new);
  }

  @Override
  public Future<Void> unload(String name, String modelId) {
    return providerCall(name, ProviderVerticle.ACTION_UNLOAD, new JsonObject().put("modelId", modelId)).mapEmpty();
  }

  @Override
  public Future<Void> delete(String name, String modelId) {
    return providerCall(name, ProviderVerticle.ACTION_DELETE, new JsonObject().put("modelId", modelId)).mapEmpty();
  }

  @Override
  public Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    return embeddingsFor(null, request);
  }

  /**
   * Embeddings go straight to the provider: they do not take a chat slot (a llamacpp model runs them between
   * generations on its own), and are not retried or sent to fallbacks, whose vectors would not be comparable.
   */
  @Override
  public Future<EmbeddingResponse> embeddingsFor(String name, EmbeddingRequest request) {
    String llm;
    try {
      if (request == null) {
        throw LlmErrors.invalidField("input", "'input' is required: a string or an array of strings");
      }
      request.validate();
      llm = name != null ? name : request.getModel() != null ? request.getModel() : config.defaultName();
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
    return providerCall(llm, ProviderVerticle.ACTION_EMBEDDINGS, request.toJson())
      .map(json -> new EmbeddingResponse(json).setServedBy(llm));
  }

  private Future<JsonObject> providerCall(String name, String action, JsonObject body) {
    return entry(name)
      .compose(entry -> vertx.eventBus().<JsonObject>request(Addresses.provider(entry.name), body,
        new DeliveryOptions().setSendTimeout(config.requestTimeoutMs()).addHeader("action", action)))
      .map(Message::body)
      .recover(e -> Future.failedFuture(LlmErrors.from(e)));
  }

  /** Serves a stream opened by an {@link LlmClient}: see {@link StreamRouter}. */
  public void openStream(Message<JsonObject> message) {
    streams.open(message, false);
  }

  /** A stream from another node's registry, which chose this node: see {@link StreamRouter#open}. */
  void openStream(Message<JsonObject> message, boolean direct) {
    streams.open(message, direct);
  }

  /**
   * Stops taking requests (new ones get a 503), lets the chat completions in flight finish for up to
   * {@code graceMs}, ends the rest with a 503 error, then stops every provider (their serve streams end with an
   * error too). Call on the registry's context.
   */
  public Future<Void> shutdown(long graceMs) {
    if (shutdown.closing()) {
      return shutdown.drain(graceMs); // the first call's
    }
    Future<Void> drained = shutdown.drain(graceMs);
    if (cluster != null) {
      cluster.view.publish(localLoad()); // nothing: the other nodes stop sending requests here
    }
    return drained.compose(v -> llms.removeAll());
  }
}
