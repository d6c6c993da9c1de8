package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.stream.StreamProducer;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Hosts one named LLM's provider at its own address ({@link Addresses#provider}). It owns the provider and
 * nothing else; the registry talks to it only over the event bus, so it may live on another node.
 * The deployment completes when the provider has started (its model is loaded).
 */
public final class ProviderVerticle extends VerticleBase {

  public static final String ACTION_STATUS = "status";
  public static final String ACTION_MODELS = "models";
  public static final String ACTION_UNLOAD = "unload";
  public static final String ACTION_DELETE = "delete";
  public static final String ACTION_EMBEDDINGS = "embeddings";

  private final String name;
  private final String type;
  private final LlmProvider provider;
  private final JsonObject config;
  private final Path modelsDir;
  private final Set<StreamProducer> active = new HashSet<>();
  private MessageConsumer<JsonObject> consumer;

  public ProviderVerticle(String name, String type, LlmProvider provider, JsonObject config, Path modelsDir) {
    this.name = name;
    this.type = type;
    this.provider = provider;
    this.config = config;
    this.modelsDir = modelsDir;
  }

  @Override
  public Future<?> start() {
    // Local: in a cluster every replica of an LLM listens at the same address, and its registry must reach its own.
    consumer = vertx.eventBus().localConsumer(Addresses.provider(name), this::handle);
    ProviderContext context = new ProviderContext() {
      public io.vertx.core.Vertx vertx() {
        return vertx;
      }

      public String name() {
        return name;
      }

      public JsonObject config() {
        return config;
      }

      public Path modelsDir() {
        return modelsDir;
      }
    };
    return consumer.completion()
      .compose(v -> provider.start(context))
      .onFailure(e -> consumer.unregister());
  }

  @Override
  public Future<?> stop() {
    for (StreamProducer producer : Set.copyOf(active)) {
      producer.fail(LlmErrors.unavailable("LLM '" + name + "' was removed while this request ran"));
    }
    active.clear();
    return provider.stop();
  }

  private void handle(Message<JsonObject> message) {
    String action = message.headers().get("action");
    try {
      switch (action == null ? "" : action) {
        case LlmClient.ACTION_CHAT:
          chat(message);
          break;
        case LlmClient.ACTION_SERVE:
          serve(message);
          break;
        case ACTION_STATUS:
          message.reply(status());
          break;
        case ACTION_MODELS:
          reply(message, provider.models().map(list -> list.toJson()));
          break;
        case ACTION_UNLOAD:
          reply(message, provider.unload(message.body().getString("modelId")).map(v -> new JsonObject()));
          break;
        case ACTION_DELETE:
          reply(message, provider.delete(message.body().getString("modelId")).map(v -> new JsonObject()));
          break;
        case ACTION_EMBEDDINGS:
          reply(message, embeddings(new EmbeddingRequest(message.body())).map(EmbeddingResponse::toJson));
          break;
        default:
          LlmErrors.fail(message, LlmErrors.badRequest("Unknown provider action '" + action + "'"));
      }
    } catch (RuntimeException | Error e) {
      LlmErrors.fail(message, e);
    }
  }

  private JsonObject status() {
    JsonObject status = provider.status().copy();
    return status.put("name", name).put("type", type).put("slots", provider.slots());
  }

  /** The provider's embeddings; its default refusal is worded here, where the LLM's name and type are known. */
  private Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    return provider.embeddings(request).recover(e -> {
      if (e instanceof ServiceException && LlmErrors.NO_EMBEDDINGS.equals(e.getMessage())) {
        return Future.failedFuture(LlmErrors.embeddingsNotSupported("LLM '" + name + "' (" + type
          + ") does not do embeddings: its provider has no embedding mode. Ask an LLM that does (a llamacpp LLM with"
          + " \"embedding\": true, or a remote one whose upstream serves /embeddings)"));
      }
      return Future.failedFuture(e);
    });
  }

  private void chat(Message<JsonObject> message) {
    StreamProducer producer = track(new StreamProducer(vertx, message));
    try {
      provider.chatCompletions(new ChatCompletionRequest(message.body()), new ProducerSink(producer));
    } catch (RuntimeException | Error e) {
      producer.fail(e); // the stream owns the message now: answer through it, once
    }
  }

  private void serve(Message<JsonObject> message) {
    StreamProducer producer = track(new StreamProducer(vertx, message));
    Future<ModelInfo> served;
    try {
      served = provider.serve(new ServeRequest(message.body()), progress -> producer.write(progress.toJson().copy()));
    } catch (RuntimeException | Error e) {
      served = Future.failedFuture(e);
    }
    served
      .onSuccess(model -> {
        long size = model.toJson().getLong("size_bytes", 1L); // so that bytes never go down at the last event
        producer.write(ServeProgress.of("ready", size, size).toJson().put("model", model.toJson().copy()));
        producer.end();
      })
      .onFailure(producer::fail);
  }

  /** Remembers the stream until it is over, so that stop() can end it with an error. */
  private StreamProducer track(StreamProducer producer) {
    active.add(producer);
    return producer.closeHandler(() -> active.remove(producer));
  }

  private static void reply(Message<JsonObject> message, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else {
        LlmErrors.fail(message, ar.cause());
      }
    });
  }
}
