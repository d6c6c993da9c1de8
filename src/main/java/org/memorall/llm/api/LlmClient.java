package org.memorall.llm.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * The registry as seen from any verticle: the {@link LlmService} proxy plus streams. Works the same on one node
 * and across a cluster.
 *
 * <pre>{@code
 * LlmClient llm = LlmClient.create(vertx);
 * llm.streamChatCompletions("default", new ChatCompletionRequest().withMessage("user", "Tell me a story"))
 *   .handler(chunk -> System.out.print(chunk.getContent() == null ? "" : chunk.getContent()))
 *   .exceptionHandler(err -> System.err.println(err.getMessage()))
 *   .endHandler(v -> System.out.println());
 * }</pre>
 */
public final class LlmClient {

  /** Stream actions understood by the registry and the provider verticles. */
  public static final String ACTION_CHAT = "chat";
  public static final String ACTION_SERVE = "serve";
  /** Message header naming the LLM; absent means the default LLM (or the request's model). */
  public static final String HEADER_LLM = "llm";

  private final Vertx vertx;
  private final LlmService service;

  private LlmClient(Vertx vertx) {
    this.vertx = vertx;
    this.service = LlmService.createProxy(vertx);
  }

  public static LlmClient create(Vertx vertx) {
    return new LlmClient(vertx);
  }

  public LlmService service() {
    return service;
  }

  /**
   * Streams a chat completion from LLM {@code name} (null: the request's model, else the default LLM). Chunks
   * arrive in order, then the end handler, or the exception handler with a
   * {@link io.vertx.serviceproxy.ServiceException}. {@link LlmStream#cancel()} stops the generation.
   */
  public LlmStream<ChatCompletionChunk> streamChatCompletions(String name, ChatCompletionRequest request) {
    return streamChatCompletions(name, request, null);
  }

  /** Like {@link #streamChatCompletions(String, ChatCompletionRequest)}, within {@code timeouts} (null: the LLM's). */
  public LlmStream<ChatCompletionChunk> streamChatCompletions(String name, ChatCompletionRequest request,
                                                              RequestTimeouts timeouts) {
    JsonObject body = request.toJson().copy().put("stream", true);
    return open(ACTION_CHAT, name, body, timeouts, ChatCompletionChunk::new);
  }

  /**
   * A chat completion that can be cancelled: the stream carries exactly one item, the response.
   * Use {@link #chatCompletions} when cancelling is not needed.
   */
  public LlmStream<ChatCompletionResponse> completion(String name, ChatCompletionRequest request) {
    return completion(name, request, null);
  }

  /** Like {@link #completion(String, ChatCompletionRequest)}, within {@code timeouts} (null: the LLM's). */
  public LlmStream<ChatCompletionResponse> completion(String name, ChatCompletionRequest request,
                                                      RequestTimeouts timeouts) {
    JsonObject body = request.toJson().copy().put("stream", false);
    return open(ACTION_CHAT, name, body, timeouts, ChatCompletionResponse::new);
  }

  /** A non-streamed chat completion from LLM {@code name} (null: the request's model, else the default). */
  public Future<ChatCompletionResponse> chatCompletions(String name, ChatCompletionRequest request) {
    return chatCompletions(name, request, null);
  }

  /** Like {@link #chatCompletions(String, ChatCompletionRequest)}, within {@code timeouts} (null: the LLM's). */
  public Future<ChatCompletionResponse> chatCompletions(String name, ChatCompletionRequest request,
                                                        RequestTimeouts timeouts) {
    Promise<ChatCompletionResponse> promise = Promise.promise();
    LlmStream<ChatCompletionResponse> stream = completion(name, request, timeouts);
    stream
      .handler(response -> promise.tryComplete(response.setServedBy(stream.servedBy())))
      .exceptionHandler(promise::tryFail)
      .endHandler(v -> promise.tryFail(LlmErrors.internal("The LLM ended without a response")));
    return promise.future();
  }

  /**
   * The embeddings of {@code request.input} from LLM {@code name} (null: the request's model, else the default);
   * {@link EmbeddingResponse#vector(int)} gives each one.
   */
  public Future<EmbeddingResponse> embeddings(String name, EmbeddingRequest request) {
    return name == null ? service.embeddings(request) : service.embeddingsFor(name, request);
  }

  /** Loads a model into LLM {@code name}: progress events, the last one with phase {@code ready} and the model. */
  public LlmStream<ServeProgress> serve(String name, ServeRequest request) {
    return open(ACTION_SERVE, name, request.toJson(), null, ServeProgress::new);
  }

  private <T> LlmStream<T> open(String action, String name, JsonObject body, RequestTimeouts timeouts,
                                Function<JsonObject, T> mapper) {
    DeliveryOptions options = timeouts == null ? new DeliveryOptions() : timeouts.applyTo(new DeliveryOptions());
    if (name != null) {
      options.addHeader(HEADER_LLM, name);
    }
    return LlmStream.open(vertx, Addresses.REGISTRY_STREAM, action, body, options, mapper);
  }
}
