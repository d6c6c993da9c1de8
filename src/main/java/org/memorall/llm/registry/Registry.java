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
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.Secrets;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.stream.StreamProducer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private static final DeliveryOptions STATUS_TIMEOUT = new DeliveryOptions().setSendTimeout(5000);

  private final Vertx vertx;
  private final RegistryConfig config;
  private final ProviderTypes types = new ProviderTypes();
  private final Map<String, LlmEntry> entries = new LinkedHashMap<>();
  private final LlmClient client;

  public Registry(Vertx vertx, RegistryConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.client = LlmClient.create(vertx);
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
    LlmProvider provider;
    String canonical = types.canonical(type);
    try {
      policy = new RoutingPolicy(llmConfig, config);
      provider = types.create(type, RoutingPolicy.providerConfig(llmConfig));
    } catch (IllegalArgumentException e) {
      throw LlmErrors.invalidField("config", "Invalid config for LLM '" + name + "': " + e.getMessage());
    }
    JsonObject configCopy = llmConfig.copy();
    ProviderVerticle verticle = new ProviderVerticle(name, canonical, provider, RoutingPolicy.providerConfig(llmConfig),
      config.modelsDir());
    Promise<String> deployed = Promise.promise();
    LlmEntry entry = new LlmEntry(vertx, name, canonical, configCopy, policy, deployed.future());
    entries.put(name, entry);
    LOG.info(() -> "Creating LLM '" + name + "' (" + canonical + ") with config " + Secrets.redact(llmConfig).encode());
    long started = System.nanoTime();
    vertx.deployVerticle(verticle, new DeploymentOptions())
      .compose(id -> providerStatus(name)
        .map(status -> {
          entry.slots(status.getInteger("slots", 1));
          return id;
        })
        // Never leave a provider listening at an address the registry no longer knows.
        .recover(e -> vertx.undeploy(id).transform(v -> Future.failedFuture(e))))
      .onSuccess(id -> LOG.info(() -> "LLM '" + name + "' ready in " + (System.nanoTime() - started) / 1_000_000 + " ms"))
      .onFailure(e -> {
        LOG.warning(() -> "LLM '" + name + "' failed to start: " + e.getMessage());
        if (entries.get(name) == entry) {
          entries.remove(name);
          entry.remove();
        }
      })
      .onComplete(deployed);
    return entry;
  }

  /** The entry once its provider has started. */
  Future<LlmEntry> ready(LlmEntry entry) {
    return entry.deployment.map(id -> entry).recover(e -> {
      io.vertx.serviceproxy.ServiceException error = LlmErrors.from(e);
      if (error.failureCode() >= 500) {
        error = LlmErrors.unavailable("LLM '" + entry.name + "' failed to start: " + error.getMessage());
      }
      return Future.failedFuture(error);
    });
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
    LOG.info(() -> "Removing LLM '" + name + "'");
    return entry.deployment
      .compose(id -> vertx.undeploy(id), e -> Future.succeededFuture())
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
    return providerStatus(entry.name)
      .map(status -> {
        JsonObject merged = status.copy().mergeIn(base.copy().put("status", status.getString("status", "ready")));
        if (status.containsKey("slots")) {
          merged.put("slots", status.getInteger("slots"));
        }
        return new LlmInfo(merged);
      })
      .otherwise(e -> new LlmInfo(base));
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
    StreamProducer out = new StreamProducer(vertx, message);
    String action = message.headers().get("action");
    JsonObject body = message.body();
    try {
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
      new ChatRelay(vertx, this, out, body).start(name);
      return;
    }
    entry(name).onFailure(out::fail).onSuccess(entry -> {
      out.meta(new JsonObject().put(LlmStream.SERVED_BY, entry.name));
      LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.provider(entry.name), action, body, null, json -> json);
      out.cancelHandler(inner::cancel);
      inner.handler(out::write).exceptionHandler(out::fail).endHandler(v -> out.end());
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
    return LlmErrors.notFound(name, entries.keySet());
  }

  /** Creates the LLMs declared in the configuration, one after the other; a failure is logged, not fatal. */
  public Future<Void> createConfigured() {
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, Object> e : config.llms()) {
      JsonObject spec = (JsonObject) e.getValue();
      chain = chain.compose(v -> create(e.getKey(), spec.getString("type"), spec.getJsonObject("config", new JsonObject()))
        .<Void>mapEmpty()
        .otherwise(err -> {
          LOG.severe("LLM '" + e.getKey() + "' from the configuration failed: " + err.getMessage());
          return null;
        }));
    }
    return chain;
  }
}
