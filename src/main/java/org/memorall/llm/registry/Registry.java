package org.memorall.llm.registry;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
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
import org.memorall.llm.api.RequestTimeouts;
import org.memorall.llm.api.Secrets;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.metrics.Metrics;
import org.memorall.llm.stream.StreamProducer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The registry of the spec: named LLMs, each a deployed {@link ProviderVerticle}. It creates the default LLM on
 * first use, makes concurrent users of an LLM that is still loading wait for the one load, and queues chat
 * completions per LLM ({@link LlmEntry}). Runs on the registry verticle's context only.
 */
public final class Registry implements LlmService {

  private static final Logger LOG = Logger.getLogger(Registry.class.getName());
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  static final String SHUTTING_DOWN = "shutting_down";
  private static final DeliveryOptions STATUS_TIMEOUT = new DeliveryOptions().setSendTimeout(5000);

  private final Vertx vertx;
  private final RegistryConfig config;
  private final ProviderTypes types = new ProviderTypes();
  private final Map<String, LlmEntry> entries = new LinkedHashMap<>();
  private final LlmClient client;
  private final RegistryMetrics metrics;
  /** Chat completions being answered, so that a shutdown can wait for them and end the rest. */
  private final Set<ChatRelay> relays = new HashSet<>();
  private boolean closing;
  private Promise<Void> drained;
  /** The other nodes, when clustered (README "Clustering"); null on a single node. */
  private ClusterRoutes cluster;

  public Registry(Vertx vertx, RegistryConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.client = LlmClient.create(vertx);
    this.metrics = new RegistryMetrics(Metrics.registry(vertx));
  }

  /** Joins the cluster: requests may go to other nodes' replicas, and this node's LLMs are reported to them. */
  void cluster(ClusterRoutes routes) {
    this.cluster = routes;
  }

  ClusterRoutes cluster() {
    return cluster;
  }

  String canonicalType(String type) {
    return types.canonical(type);
  }

  /** This node's LLMs that are ready, and their load, for the other nodes (see {@link ClusterView}). */
  JsonObject localLoad() {
    JsonObject llms = new JsonObject();
    if (closing) {
      return llms; // shutting down: the other nodes send nothing new here, what runs may finish
    }
    entries.values().stream().filter(e -> e.deployment.succeeded() && e.failure() == null).forEach(e -> {
      JsonObject policy = e.config.copy();
      policy.fieldNames().removeIf(k -> !RoutingPolicy.KEYS.contains(k));
      llms.put(e.name, new JsonObject().put("type", e.type).put("policy", policy).put("slots", e.slots())
        .put("inFlight", e.inFlight()).put("queued", e.queued()));
    });
    return llms;
  }

  /** The local entry named {@code name}, or null. */
  LlmEntry local(String name) {
    return entries.get(name);
  }

  RoutingPolicy policy(JsonObject llmConfig) {
    return new RoutingPolicy(llmConfig, config);
  }

  // ---- LLM management ----

  @Override
  public Future<LlmInfo> create(String name, String type, JsonObject config) {
    try {
      return ready(register(name, type, config == null ? new JsonObject() : config)).compose(this::info);
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
  }

  /** Registers the entry at once (so racing users find it) and deploys its provider verticle. */
  private LlmEntry register(String name, String type, JsonObject llmConfig) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw LlmErrors.invalidField("name", "'name' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (entries.containsKey(name)) {
      throw LlmErrors.conflict("LLM '" + name + "' already exists");
    }
    RoutingPolicy policy;
    String canonical = types.canonical(type);
    try {
      policy = new RoutingPolicy(llmConfig, config);
    } catch (IllegalArgumentException e) {
      throw LlmErrors.invalidField("config", "Invalid config for LLM '" + name + "': " + e.getMessage());
    }
    LlmEntry entry = new LlmEntry(vertx, name, canonical, llmConfig.copy(), policy);
    Future<String> deployed = deploy(entry);
    entries.put(name, entry);
    metrics.track(entry);
    LOG.info(() -> "Creating LLM '" + name + "' (" + canonical + ") with config " + Secrets.redact(llmConfig).encode());
    entry.deployment = deployed.onFailure(e -> {
      // A failed create is answered at once, and the LLM does not stay: the user sees the error and fixes it.
      if (entries.get(name) == entry) {
        entries.remove(name);
        entry.remove();
        metrics.untrack(entry);
      }
    });
    return entry;
  }

  /**
   * Deploys a new provider verticle for {@code entry} and learns its slots; completes when the provider has
   * started. Throws a 400 for a bad provider config.
   */
  private Future<String> deploy(LlmEntry entry) {
    String name = entry.name;
    LlmProvider provider;
    try {
      provider = types.create(entry.type, RoutingPolicy.providerConfig(entry.config));
    } catch (IllegalArgumentException e) {
      throw LlmErrors.invalidField("config", "Invalid config for LLM '" + name + "': " + e.getMessage());
    }
    ProviderVerticle verticle = new ProviderVerticle(name, entry.type, provider,
      RoutingPolicy.providerConfig(entry.config), config.modelsDir());
    long started = System.nanoTime();
    return vertx.deployVerticle(verticle, new DeploymentOptions())
      .compose(id -> providerStatus(name)
        .map(status -> {
          entry.slots(status.getInteger("slots", 1));
          return id;
        })
        // Never leave a provider listening at an address the registry no longer knows.
        .recover(e -> vertx.undeploy(id).transform(v -> Future.failedFuture(e))))
      .onSuccess(id -> {
        long nanos = System.nanoTime() - started;
        metrics.loaded(name, nanos);
        LOG.info(() -> "LLM '" + name + "' ready in " + nanos / 1_000_000 + " ms");
      })
      .onFailure(e -> LOG.warning(() -> "LLM '" + name + "' failed to start: " + e.getMessage()));
  }

  /**
   * The entry once its provider has started. A failed LLM fails fast while it backs off, and is re-initialised by
   * the first request after that.
   */
  Future<LlmEntry> ready(LlmEntry entry) {
    if (entry.failure() != null) {
      if (entry.retryInMs() > 0 || closing) {
        return Future.failedFuture(entry.failedError());
      }
      reinitialise(entry);
    }
    return entry.deployment.map(id -> entry).recover(e -> {
      if (entry.failure() != null) {
        return Future.failedFuture(entry.failedError());
      }
      io.vertx.serviceproxy.ServiceException error = LlmErrors.from(e);
      if (error.failureCode() >= 500) {
        error = LlmErrors.unavailable("LLM '" + entry.name + "' failed to start: " + error.getMessage());
      }
      return Future.failedFuture(error);
    });
  }

  /** Starts a new provider for a failed LLM; requests wait for it as for a first load. */
  private void reinitialise(LlmEntry entry) {
    LOG.info(() -> "Re-initialising failed LLM '" + entry.name + "' (failure " + entry.failuresInARow() + " in a row)");
    entry.recovering();
    Future<String> deployed;
    try {
      deployed = deploy(entry);
    } catch (RuntimeException e) {
      deployed = Future.failedFuture(e);
    }
    entry.deployment = deployed
      .onSuccess(id -> {
        if (entries.get(entry.name) == entry) {
          entry.recovered();
        } else {
          vertx.undeploy(id); // removed while it started
        }
      })
      .onFailure(e -> markFailed(entry, LlmErrors.from(e).getMessage()));
  }

  /**
   * After a provider failure: asks the provider how it is, and marks the LLM failed when it does not answer (its
   * verticle is gone, its event loop is stuck) or reports itself failed (its model cannot load).
   */
  Future<Void> checkHealth(LlmEntry entry) {
    return checkHealth(entry, entry.deployment, System.nanoTime() + HEALTH_WAIT_NANOS);
  }

  /** How long a health check waits for a provider that is loading (another request may be reloading its model). */
  private static final long HEALTH_WAIT_NANOS = 5_000_000_000L;

  private Future<Void> checkHealth(LlmEntry entry, Future<String> deployment, long untilNanos) {
    if (entry.failure() != null || entry.deployment != deployment || !deployment.succeeded()) {
      return Future.succeededFuture();
    }
    return providerStatus(entry.name).transform(ar -> {
      if (entry.deployment != deployment || entry.failure() != null) {
        return Future.succeededFuture();
      }
      if (ar.failed()) {
        markFailed(entry, "its provider does not answer (" + LlmErrors.from(ar.cause()).getMessage() + ")");
      } else if ("failed".equals(ar.result().getString("status"))) {
        markFailed(entry, ar.result().getString("error", "its provider reported a failure"));
      } else if ("loading".equals(ar.result().getString("status")) && System.nanoTime() < untilNanos) {
        // The verdict is the outcome of that load, which may be the very failure this request met.
        return vertx.timer(100).compose(v -> checkHealth(entry, deployment, untilNanos));
      }
      return Future.succeededFuture();
    });
  }

  /** Marks a registered LLM failed: its queue is answered, its broken provider undeployed. */
  private void markFailed(LlmEntry entry, String reason) {
    if (entries.get(entry.name) != entry || entry.failure() != null) {
      return;
    }
    entry.fail(reason);
    LOG.warning(() -> "LLM '" + entry.name + "' failed: " + reason + "; re-initialised on a request after "
      + entry.retryInMs() + " ms");
    // A broken provider must not keep its memory or its address; a new one is deployed on recovery.
    entry.deployment.onSuccess(id -> vertx.undeploy(id));
  }

  @Override
  public Future<LlmInfo> get(String name) {
    LlmEntry entry = entries.get(name);
    return entry == null ? Future.succeededFuture() : info(entry);
  }

  @Override
  public Future<LlmInfo> getRequired(String name) {
    LlmEntry entry = entries.get(name);
    return entry == null ? Future.failedFuture(notFound(name)) : info(entry);
  }

  @Override
  public Future<Boolean> has(String name) {
    return Future.succeededFuture(entries.containsKey(name));
  }

  @Override
  public Future<Boolean> remove(String name) {
    LlmEntry entry = entries.remove(name);
    if (entry == null) {
      return Future.succeededFuture(false);
    }
    entry.remove();
    metrics.untrack(entry);
    LOG.info(() -> "Removing LLM '" + name + "'");
    return entry.deployment
      .compose(id -> vertx.undeploy(id), e -> Future.succeededFuture())
      .otherwise(e -> null) // already undeployed (a failed LLM's provider)
      .map(true);
  }

  @Override
  public Future<List<String>> getNames() {
    return Future.succeededFuture(new ArrayList<>(entries.keySet()));
  }

  @Override
  public Future<LlmInfo> getInfo(String name) {
    return get(name);
  }

  @Override
  public Future<Map<String, LlmInfo>> getAllInfo() {
    List<LlmEntry> list = new ArrayList<>(entries.values());
    List<Future<LlmInfo>> infos = new ArrayList<>();
    list.forEach(e -> infos.add(info(e)));
    return Future.join(infos).map(cf -> {
      Map<String, LlmInfo> map = new LinkedHashMap<>();
      for (int i = 0; i < list.size(); i++) {
        map.put(list.get(i).name, infos.get(i).result());
      }
      return map;
    });
  }

  /** The entry's info: what the registry knows (queue, config) merged with the provider's own status. */
  private Future<LlmInfo> info(LlmEntry entry) {
    JsonObject base = new JsonObject()
      .put("name", entry.name)
      .put("type", entry.type)
      .put("status", entry.deployment.failed() ? "failed" : "loading")
      .put("slots", entry.slots())
      .put("inFlight", entry.inFlight())
      .put("queued", entry.queued())
      .put("config", Secrets.redact(entry.config));
    if (entry.failure() != null) {
      return Future.succeededFuture(new LlmInfo(base.put("status", "failed").put("error", entry.failure())
        .put("retryInMs", entry.retryInMs()).put("failuresInARow", entry.failuresInARow())));
    }
    return providerStatus(entry.name)
      .map(status -> {
        JsonObject merged = status.copy().mergeIn(base.copy().put("status", status.getString("status", "ready")));
        if (status.containsKey("slots")) {
          merged.put("slots", status.getInteger("slots"));
        }
        return new LlmInfo(withPercent(merged));
      })
      .otherwise(e -> new LlmInfo(withPercent(base)));
  }

  /**
   * A loading LLM shows how far it got: the provider's own {@code percent}, else that of the serve it reports
   * running, else 0 (a model file loads in one step; llama.cpp does not report its progress).
   */
  private static JsonObject withPercent(JsonObject info) {
    if ("loading".equals(info.getString("status")) && !(info.getValue("percent") instanceof Number)) {
      Object serving = info.getValue("serving");
      Object percent = serving instanceof JsonObject ? ((JsonObject) serving).getValue("percent") : null;
      info.put("percent", percent instanceof Number ? percent : 0);
    }
    return info;
  }

  private Future<JsonObject> providerStatus(String name) {
    return vertx.eventBus().<JsonObject>request(Addresses.provider(name), new JsonObject(),
      new DeliveryOptions(STATUS_TIMEOUT).addHeader("action", ProviderVerticle.ACTION_STATUS)).map(Message::body);
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

  /**
   * Serves a stream opened by an {@link LlmClient} (see {@link org.memorall.llm.stream}): finds the LLM, waits
   * for a slot for chat completions, then relays the provider's stream.
   */
  public void openStream(Message<JsonObject> message) {
    openStream(message, false);
  }

  /**
   * {@code direct}: the stream came from another node's registry, which chose this node; it is served here,
   * without going elsewhere, retries or fallbacks (the entering node does those).
   */
  void openStream(Message<JsonObject> message, boolean direct) {
    StreamProducer out = new StreamProducer(vertx, message);
    String action = message.headers().get("action");
    JsonObject body = message.body();
    RequestTimeouts timeouts;
    try {
      if (closing) {
        throw shuttingDown();
      }
      timeouts = RequestTimeouts.fromHeaders(message.headers(), RequestTimeouts.REQUEST_TIMEOUT,
        RequestTimeouts.FIRST_TOKEN_TIMEOUT);
      if (LlmClient.ACTION_CHAT.equals(action)) {
        new ChatCompletionRequest(body).validate();
      } else if (!LlmClient.ACTION_SERVE.equals(action)) {
        throw LlmErrors.badRequest("Unknown stream action '" + action + "'");
      }
    } catch (RuntimeException e) {
      out.fail(e);
      return;
    }
    String name = message.headers().get(LlmClient.HEADER_LLM);
    if (name == null) {
      Object model = body.getValue("model");
      name = model instanceof String ? (String) model : config.defaultName();
    }
    if (LlmClient.ACTION_CHAT.equals(action)) {
      ChatRelay relay = new ChatRelay(vertx, this, out, body, timeouts, direct);
      relays.add(relay);
      String origin = direct && cluster != null ? message.headers().get(ClusterRoutes.HEADER_ORIGIN) : null;
      if (origin != null) {
        cluster.serving(origin, relay);
      }
      out.closeHandler(() -> {
        relay.closed();
        relays.remove(relay);
        if (origin != null) {
          cluster.served(origin, relay);
        }
        if (closing && relays.isEmpty()) {
          drained.tryComplete();
        }
      });
      relay.start(name);
      return;
    }
    // Model management of an LLM this node serves stays here; of one it does not, goes where it is served.
    ClusterView.Replica remote = direct || cluster == null || entries.containsKey(name) ? null : cluster.route(name);
    if (remote != null) {
      cluster.pipe(remote, action, body, out);
      return;
    }
    entry(name).onFailure(out::fail).onSuccess(entry -> {
      out.meta(new JsonObject().put(LlmStream.SERVED_BY, entry.name));
      LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.provider(entry.name), action, body, null, json -> json);
      out.cancelHandler(inner::cancel);
      Consumer<JsonObject> watcher = metrics.serveWatcher(entry.name);
      inner.handler(item -> {
        watcher.accept(item);
        out.write(item);
      }).exceptionHandler(out::fail).endHandler(v -> out.end());
    });
  }

  /** The ready entry named {@code name}; the default LLM is created on first use. */
  private Future<LlmEntry> entry(String name) {
    try {
      return ready(lookup(name));
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
  }

  /** The name of the default LLM (created on first use). */
  String defaultName() {
    return config.defaultName();
  }

  /** The entry named {@code name}, maybe still loading; the default LLM is created on first use. */
  LlmEntry lookup(String name) {
    LlmEntry entry = entries.get(name);
    if (entry == null && name.equals(config.defaultName())) {
      LOG.info("Creating the default LLM on first use");
      entry = register(name, config.defaultType(), config.defaultConfig());
    }
    if (entry == null) {
      throw notFound(name);
    }
    return entry;
  }

  private io.vertx.serviceproxy.ServiceException notFound(String name) {
    if (cluster != null) {
      return cluster.notFound(name, entries.keySet());
    }
    return LlmErrors.notFound(name, entries.keySet());
  }

  /**
   * Stops taking requests (new ones get a 503), lets the chat completions in flight finish for up to
   * {@code graceMs}, ends the rest with a 503 error, then stops every provider (their serve streams end with an
   * error too). Call on the registry's context.
   */
  public Future<Void> shutdown(long graceMs) {
    if (closing) {
      return drained.future();
    }
    closing = true;
    drained = Promise.promise();
    if (cluster != null) {
      cluster.view.publish(localLoad()); // nothing: the other nodes stop sending requests here
    }
    LOG.info(() -> "Shutting down: " + relays.size() + " chat completions in flight, " + graceMs + " ms to finish");
    if (relays.isEmpty()) {
      drained.tryComplete();
    }
    long timer = vertx.setTimer(Math.max(1, graceMs), id -> {
      if (!relays.isEmpty()) {
        LOG.warning(() -> "Ending " + relays.size() + " chat completions still running after the grace period");
        new ArrayList<>(relays).forEach(r -> r.abort(LlmErrors.of(503, "server_error", null, SHUTTING_DOWN,
          "The server is shutting down; the request did not finish within the grace period of " + graceMs + " ms")));
      }
      drained.tryComplete();
    });
    return drained.future().compose(v -> {
      vertx.cancelTimer(timer);
      List<Future<Boolean>> removed = new ArrayList<>();
      new ArrayList<>(entries.keySet()).forEach(n -> removed.add(remove(n)));
      return Future.join(removed).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  private static io.vertx.serviceproxy.ServiceException shuttingDown() {
    return LlmErrors.of(503, "server_error", null, SHUTTING_DOWN, "The server is shutting down");
  }

  /**
   * Creates the LLMs declared in the configuration through {@code creator} (this registry, or the cluster's, which
   * makes them replicas of LLMs of the same name on other nodes), one after the other; a failure is logged.
   */
  public Future<Void> createConfigured(Creator creator) {
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, Object> e : config.llms()) {
      JsonObject spec = (JsonObject) e.getValue();
      chain = chain.compose(v -> creator.create(e.getKey(), spec.getString("type"),
          spec.getJsonObject("config", new JsonObject()))
        .<Void>mapEmpty()
        .otherwise(err -> {
          LOG.severe("LLM '" + e.getKey() + "' from the configuration failed: " + err.getMessage());
          return null;
        }));
    }
    return chain;
  }

  /** Creates one LLM: {@link #create}, or the cluster's way of creating it. */
  @FunctionalInterface
  public interface Creator {
    Future<LlmInfo> create(String name, String type, JsonObject config);
  }
}
