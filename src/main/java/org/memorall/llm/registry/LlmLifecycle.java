package org.memorall.llm.registry;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.Secrets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * This node's LLMs and their life: creating one (its entry at once, so that racing users find it, then its
 * {@link ProviderVerticle}), waiting for its load, marking it failed when its provider breaks and re-initialising
 * it after a backoff, removing it. Used on the registry's context only.
 */
final class LlmLifecycle {

  /** The keys of an LLM's config that the registry reads: its routing policy, and the spec's {@code type}. */
  private static final Set<String> OWN_KEYS = Stream.concat(RoutingPolicy.KEYS.stream(), Stream.of("type"))
    .collect(Collectors.toUnmodifiableSet());


  private static final Logger LOG = Logger.getLogger(LlmLifecycle.class.getName());
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final DeliveryOptions STATUS_TIMEOUT = new DeliveryOptions().setSendTimeout(5000);
  /** How long a health check waits for a provider that is loading (another request may be reloading its model). */
  private static final long HEALTH_WAIT_NANOS = 5_000_000_000L;

  private final Vertx vertx;
  private final RegistryConfig config;
  private final RegistryMetrics metrics;
  private final RegistryShutdown shutdown;
  private final ProviderTypes types = new ProviderTypes();
  private final Map<String, LlmEntry> entries = new LinkedHashMap<>();
  /** False on a cluster node whose default LLM's type is not the cluster's (see {@link ClusteredRegistry}). */
  private boolean createsDefault = true;
  /** Told when the default LLM is created on first use. */
  private Runnable defaultCreated = () -> { };

  LlmLifecycle(Vertx vertx, RegistryConfig config, RegistryMetrics metrics, RegistryShutdown shutdown) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.shutdown = shutdown;
  }

  String canonicalType(String type) {
    return types.canonical(type);
  }

  /** See {@link ProviderTypes#requested}. */
  String requestedType(String type, JsonObject config) {
    return types.requested(type, config);
  }

  RoutingPolicy policy(JsonObject llmConfig) {
    return new RoutingPolicy(llmConfig, config);
  }

  /** The entry named {@code name}, or null. */
  LlmEntry get(String name) {
    return entries.get(name);
  }

  List<String> names() {
    return new ArrayList<>(entries.keySet());
  }

  List<LlmEntry> all() {
    return new ArrayList<>(entries.values());
  }

  /** The entry named {@code name}, maybe still loading, or null; the default LLM is created on first use. */
  LlmEntry lookup(String name) {
    LlmEntry entry = entries.get(name);
    if (entry == null && createsDefault && name.equals(config.defaultName())) {
      LOG.info("Creating the default LLM on first use");
      entry = register(name, config.defaultType(), config.defaultConfig());
      defaultCreated.run();
    }
    return entry;
  }

  /** Whether this node creates the default LLM on first use, and who is told when it does. */
  void createsDefault(boolean creates, Runnable created) {
    this.createsDefault = creates;
    this.defaultCreated = created;
  }

  /** Registers the entry at once (so racing users find it) and deploys its provider verticle. */
  LlmEntry register(String name, String requestedType, JsonObject created) {
    String type = types.requested(requestedType, created);
    if (name == null || !NAME.matcher(name).matches()) {
      throw LlmErrors.invalidField("name", "'name' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (entries.containsKey(name)) {
      throw LlmErrors.conflict("LLM '" + name + "' already exists");
    }
    // Where to create it ("node", "replica": see ClusteredRegistry) is not a setting of the LLM: not kept or shown.
    JsonObject llmConfig = created.copy();
    llmConfig.remove(ClusteredRegistry.NODE);
    llmConfig.remove(ClusteredRegistry.REPLICA);
    RoutingPolicy policy;
    String canonical = types.canonical(type);
    try {
      policy = new RoutingPolicy(llmConfig, config);
      types.checkKeys(type, llmConfig, OWN_KEYS);
    } catch (IllegalArgumentException e) {
      throw LlmErrors.invalidField("config", "Invalid config for LLM '" + name + "': " + e.getMessage());
    }
    LlmEntry entry = new LlmEntry(vertx, name, canonical, llmConfig, policy);
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
      .compose(id -> status(name)
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
      if (entry.retryInMs() > 0 || shutdown.closing()) {
        return Future.failedFuture(entry.failedError());
      }
      reinitialise(entry);
    }
    return entry.deployment.map(id -> entry).recover(e -> {
      if (entry.failure() != null) {
        return Future.failedFuture(entry.failedError());
      }
      ServiceException error = LlmErrors.from(e);
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

  private Future<Void> checkHealth(LlmEntry entry, Future<String> deployment, long untilNanos) {
    if (entry.failure() != null || entry.deployment != deployment || !deployment.succeeded()) {
      return Future.succeededFuture();
    }
    return status(entry.name).transform(ar -> {
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

  /** Removes the LLM and undeploys its provider; false when there is no such LLM. */
  Future<Boolean> remove(String name) {
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

  Future<Void> removeAll() {
    List<Future<Boolean>> removed = new ArrayList<>();
    names().forEach(n -> removed.add(remove(n)));
    return Future.join(removed).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The provider's own status ({@link ProviderVerticle#ACTION_STATUS}). */
  Future<JsonObject> status(String name) {
    return vertx.eventBus().<JsonObject>request(Addresses.provider(name), new JsonObject(),
      new DeliveryOptions(STATUS_TIMEOUT).addHeader("action", ProviderVerticle.ACTION_STATUS)).map(Message::body);
  }
}
