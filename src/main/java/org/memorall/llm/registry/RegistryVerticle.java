package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmService;

import java.util.ArrayList;
import java.util.List;

/**
 * Publishes the {@link Registry} at {@link Addresses#REGISTRY} (service proxy) and
 * {@link Addresses#REGISTRY_STREAM} (streams), then creates the LLMs of the configuration. Both addresses are
 * local: a node's gateway and verticles talk to their own node's registry. When Vert.x is clustered, the registry
 * is the {@link ClusteredRegistry}, and per-node addresses ({@link ClusterRoutes}) let the nodes' registries call
 * each other. One per Vert.x instance: a second deployment fails (two would split the LLMs between them, the event
 * bus taking turns).
 */
public final class RegistryVerticle extends VerticleBase {

  /** Local shared data: the deployment of this Vert.x instance's registry. */
  private static final String SINGLETON = "org.memorall.llm.registry";
  private final RegistryConfig config;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private Registry registry;
  private ClusterView view;

  public RegistryVerticle(RegistryConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    String other = vertx.sharedData().<String, String>getLocalMap(SINGLETON).putIfAbsent("deployment", deploymentID());
    if (other != null) {
      return Future.failedFuture(new IllegalStateException("A registry is already deployed in this Vert.x instance "
        + "(deployment " + other + "): deploy RegistryVerticle once, with one instance, and reach it with LlmClient or "
        + "LlmService"));
    }
    return startRegistry().onFailure(e -> vertx.sharedData().getLocalMap(SINGLETON).remove("deployment", deploymentID()));
  }

  private Future<?> startRegistry() {
    registry = new Registry(vertx, config);
    if (!vertx.isClustered()) {
      return bind(registry).compose(v -> ConfiguredLlms.create(config, registry::create));
    }
    return ClusteredRegistry.directory(vertx).compose(directory -> {
      view = new ClusterView(vertx, config.nodeName());
      ClusterRoutes routes = new ClusterRoutes(vertx, registry, view, directory);
      registry.cluster(routes);
      ClusteredRegistry clustered = new ClusteredRegistry(vertx, registry, view, directory);
      String id = view.nodeId;
      consumers.add(binder(Addresses.nodeRegistry(id)).register(LlmService.class, registry));
      consumers.add(binder(Addresses.nodeCluster(id)).register(LlmService.class, clustered));
      consumers.add(vertx.eventBus().consumer(Addresses.nodeStream(id), m -> registry.openStream(m, true)));
      view.start(registry::localLoad, routes::nodeLeft);
      return bind(clustered).compose(v -> clustered.reserveDefault())
        .compose(v -> ConfiguredLlms.create(config, clustered::createReplica));
    });
  }

  private Future<Void> bind(LlmService service) {
    consumers.add(binder(Addresses.REGISTRY).registerLocal(LlmService.class, service));
    consumers.add(vertx.eventBus().localConsumer(Addresses.REGISTRY_STREAM, registry::openStream));
    List<Future<Void>> ready = new ArrayList<>();
    consumers.forEach(c -> ready.add(c.completion()));
    return Future.all(ready).mapEmpty();
  }

  private ServiceBinder binder(String address) {
    return new ServiceBinder(vertx).setAddress(address).setIncludeDebugInfo(true);
  }

  @Override
  public Future<?> stop() {
    vertx.sharedData().<String, String>getLocalMap(SINGLETON).remove("deployment", deploymentID());
    if (view != null) {
      view.stop();
    }
    return Future.succeededFuture();
  }

  /** See {@link Registry#shutdown}; may be called from any thread. */
  public Future<Void> shutdown(long graceMs) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> registry.shutdown(graceMs).onComplete(done));
    return done.future();
  }
}
