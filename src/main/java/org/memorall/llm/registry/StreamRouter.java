package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.RequestTimeouts;
import org.memorall.llm.stream.StreamProducer;

import java.util.function.Consumer;

/**
 * Serves the streams opened by an {@link LlmClient} (see {@link org.memorall.llm.stream}): a chat completion goes
 * to a {@link ChatRelay} (queue, retries, fallbacks, other nodes), a serve or model management stream to the
 * provider of the LLM, here or on the node that serves it. Used on the registry's context only.
 */
final class StreamRouter {

  private final Vertx vertx;
  private final Registry registry;
  private final RegistryShutdown shutdown;
  private final RegistryMetrics metrics;

  StreamRouter(Vertx vertx, Registry registry, RegistryShutdown shutdown, RegistryMetrics metrics) {
    this.vertx = vertx;
    this.registry = registry;
    this.shutdown = shutdown;
    this.metrics = metrics;
  }

  /**
   * {@code direct}: the stream came from another node's registry, which chose this node; it is served here,
   * without going elsewhere, retries or fallbacks (the entering node does those).
   */
  void open(Message<JsonObject> message, boolean direct) {
    StreamProducer out = new StreamProducer(vertx, message);
    String action = message.headers().get("action");
    JsonObject body = message.body();
    RequestTimeouts timeouts;
    try {
      if (shutdown.closing()) {
        throw RegistryShutdown.error();
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
      name = model instanceof String ? (String) model : registry.defaultName();
    }
    if (LlmClient.ACTION_CHAT.equals(action)) {
      chat(out, body, timeouts, direct, name, message.headers().get(ClusterRoutes.HEADER_ORIGIN));
    } else {
      provider(out, action, body, direct, name);
    }
  }

  private void chat(StreamProducer out, JsonObject body, RequestTimeouts timeouts, boolean direct, String name,
                    String originHeader) {
    ClusterRoutes cluster = registry.cluster();
    ChatRelay relay = new ChatRelay(vertx, registry, out, body, timeouts, direct);
    shutdown.started(relay);
    String origin = direct && cluster != null ? originHeader : null;
    if (origin != null) {
      cluster.serving(origin, relay);
    }
    out.closeHandler(() -> {
      relay.closed();
      if (origin != null) {
        cluster.served(origin, relay);
      }
      shutdown.ended(relay);
    });
    relay.start(name);
  }

  /** Model management of an LLM this node serves stays here; of one it does not, goes where it is served. */
  private void provider(StreamProducer out, String action, JsonObject body, boolean direct, String name) {
    ClusterRoutes cluster = registry.cluster();
    ClusterView.Replica remote = direct || cluster == null || registry.local(name) != null ? null
      : cluster.route(name);
    if (remote != null) {
      cluster.pipe(remote, action, body, out);
      return;
    }
    Future<LlmEntry> found = cluster == null ? registry.entry(name) : cluster.orMissing(name, registry.entry(name));
    found.onFailure(out::fail).onSuccess(entry -> {
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
}
