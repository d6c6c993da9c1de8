package org.memorall.llm.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * The LLM registry: named LLMs, each served by a provider verticle. Any verticle, on this node or another one of
 * the cluster, calls it through {@link #createProxy(Vertx)}. Failures are
 * {@link io.vertx.serviceproxy.ServiceException}s whose failure code is the HTTP status (400, 404, 409, 429, 503,
 * 504) and whose message is meant for people, e.g. {@code LLM 'x' not found. Available: default, my-local}.
 * <p>
 * For streaming chat completions and serve progress use {@link LlmClient}.
 */
@ProxyGen
@VertxGen
public interface LlmService {

  /**
   * The proxy to the registry at {@link Addresses#REGISTRY}. Calls time out after 10 minutes, long enough for
   * {@code create} to load a large model; pass your own {@link DeliveryOptions} to change it.
   */
  static LlmService createProxy(Vertx vertx) {
    return createProxyWithOptions(vertx, new DeliveryOptions().setSendTimeout(600_000));
  }

  static LlmService createProxyWithOptions(Vertx vertx, DeliveryOptions options) {
    return new LlmServiceVertxEBProxy(vertx, Addresses.REGISTRY, options);
  }

  /**
   * Creates LLM {@code name} of provider {@code type} (llamacpp, ...) with {@code config}, and initialises it.
   * Fails with 409 when the name exists, 400 for an unknown type or a bad config.
   */
  Future<LlmInfo> create(String name, String type, JsonObject config);

  /** The LLM's info, or null when there is no such LLM. */
  Future<LlmInfo> get(String name);

  /** The LLM's info; fails with 404 naming the available LLMs when there is no such LLM. */
  Future<LlmInfo> getRequired(String name);

  Future<Boolean> has(String name);

  /** Undeploys the LLM; true when it existed. Requests in flight end with an error, queued ones are refused. */
  Future<Boolean> remove(String name);

  Future<List<String>> getNames();

  /** Same as {@link #get}. */
  Future<LlmInfo> getInfo(String name);

  Future<Map<String, LlmInfo>> getAllInfo();

  /**
   * A chat completion from the LLM named by {@code request.model}, or the default LLM when the model is absent
   * (created and initialised on first use). {@code stream} is ignored here: use {@link LlmClient} to stream.
   */
  Future<ChatCompletionResponse> chatCompletions(ChatCompletionRequest request);

  /** A chat completion from LLM {@code name}; {@code request.model} is passed to its provider. */
  Future<ChatCompletionResponse> chatCompletionsFor(String name, ChatCompletionRequest request);

  /**
   * The embeddings of {@code request.input} from the LLM named by {@code request.model}, or the default LLM when
   * the model is absent. Embeddings do not wait in the LLM's chat queue, and are not retried or sent to fallbacks
   * (another model's vectors would not be comparable). 400 when the LLM does not do embeddings.
   */
  Future<EmbeddingResponse> embeddings(EmbeddingRequest request);

  /** The embeddings from LLM {@code name}; {@code request.model} is passed to its provider. */
  Future<EmbeddingResponse> embeddingsFor(String name, EmbeddingRequest request);

  /** Loads a model into LLM {@code name}. For progress events use {@link LlmClient#serve}. */
  Future<ModelInfo> serve(String name, ServeRequest request);

  Future<ModelList> models(String name);

  Future<Void> unload(String name, String modelId);

  Future<Void> delete(String name, String modelId);
}
