package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmService;

/**
 * Publishes the {@link Registry} at {@link Addresses#REGISTRY} (service proxy) and
 * {@link Addresses#REGISTRY_STREAM} (streams), then creates the LLMs of the configuration.
 */
public final class RegistryVerticle extends VerticleBase {

  private final RegistryConfig config;
  private MessageConsumer<JsonObject> service;
  private MessageConsumer<JsonObject> streams;
  private Registry registry;

  public RegistryVerticle(RegistryConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    registry = new Registry(vertx, config);
    service = new ServiceBinder(vertx).setAddress(Addresses.REGISTRY).setIncludeDebugInfo(true)
      .register(LlmService.class, registry);
    streams = vertx.eventBus().consumer(Addresses.REGISTRY_STREAM, registry::openStream);
    return Future.all(service.completion(), streams.completion()).compose(v -> registry.createConfigured());
  }

  /** See {@link Registry#shutdown}; may be called from any thread. */
  public Future<Void> shutdown(long graceMs) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> registry.shutdown(graceMs).onComplete(done));
    return done.future();
  }
}
