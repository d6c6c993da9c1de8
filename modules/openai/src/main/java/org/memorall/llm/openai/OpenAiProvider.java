package org.memorall.llm.openai;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * An LLM behind an OpenAI-compatible HTTP API (OpenAI, LM Studio, Ollama, ...). Requests are forwarded as they
 * came and answers relayed as they arrive; everything runs on the provider verticle's event loop. Retries and
 * fallbacks are the registry's job: this class reports each upstream outcome faithfully, once.
 */
final class OpenAiProvider implements LlmProvider {

  /** How long creating an LLM with an API key waits for the upstream to accept or refuse the key. */
  static final long KEY_CHECK_MS = 3000;

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.openai");

  private final OpenAiConfig config;
  private final UpstreamEndpoint endpoint;
  private final UpstreamErrors errors;
  /** Calls in flight; touched on the verticle's context only. */
  private final Set<UpstreamCall> active = new HashSet<>();

  private String name;
  private Vertx vertx;
  private Context context;
  private HttpClient client;

  OpenAiProvider(OpenAiConfig config) {
    this.config = config;
    this.endpoint = new UpstreamEndpoint(config);
    this.errors = new UpstreamErrors(config);
  }

  /** Does not contact the upstream: it may be down now and up later, and creating the LLM must work offline. */
  @Override
  public Future<Void> start(ProviderContext ctx) {
    name = ctx.name();
    vertx = ctx.vertx();
    context = vertx.getOrCreateContext();
    client = vertx.createHttpClient(endpoint.clientOptions(name), endpoint.poolOptions());
    LOG.info(() -> "LLM '" + name + "' (" + config.type + ") uses " + config.displayUrl()
      + (config.model == null ? "" : ", model " + config.model) + (config.apiKey == null ? ", no API key" : ", with an API key"));
    return checkKey();
  }

  /**
   * With an API key, asks the upstream for its model list (waiting at most {@link #KEY_CHECK_MS}), so that a key it
   * refuses (401) fails the create at once, as the spec expects. Anything else (unreachable, slow, no model list, a
   * 403, which may come from a proxy or a missing permission rather than the key) lets the LLM be created: a local
   * server may start later, and its requests will tell.
   */
  private Future<Void> checkKey() {
    if (config.apiKey == null) {
      return Future.succeededFuture();
    }
    return models().timeout(KEY_CHECK_MS, TimeUnit.MILLISECONDS).<Void>mapEmpty().recover(e -> {
      ServiceException error = LlmErrors.from(e);
      if (error.failureCode() == 401) {
        return Future.failedFuture(LlmErrors.of(error.failureCode(), "invalid_request_error", "apiKey",
          "invalid_api_key", config.displayUrl() + " refused the API key of LLM '" + name + "': " + error.getMessage()));
      }
      LOG.info(() -> "LLM '" + name + "': its API key could not be checked (" + error.getMessage() + "); created anyway");
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> stop() {
    HttpClient c = client;
    client = null;
    if (c == null) {
      return Future.succeededFuture();
    }
    ServiceException reason = LlmErrors.unavailable("LLM '" + name + "' was stopped while this request ran");
    Set.copyOf(active).forEach(call -> call.abort(reason));
    return c.close();
  }

  @Override
  public int slots() {
    return config.maxConcurrency;
  }

  @Override
  public JsonObject status() {
    return new JsonObject()
      .put("status", "ready")
      .put("baseURL", config.displayUrl())
      .put("model", config.model)
      .put("slots", config.maxConcurrency)
      .put("activeRequests", active.size());
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    if (client == null) {
      sink.fail(notRunning());
      return;
    }
    JsonObject body = upstreamBody(request.toJson());
    boolean stream = request.isStream();
    UpstreamCall call = new UpstreamCall(vertx, client, config, errors,
      endpoint.request(HttpMethod.POST, UpstreamEndpoint.CHAT), body.toBuffer(),
      stream ? UpstreamCall.Mode.STREAM : UpstreamCall.Mode.COMPLETION, sinkReceiver(sink), active::remove);
    active.add(call);
    sink.onCancel(() -> context.runOnContext(v -> call.cancel()));
    call.start();
  }

  /**
   * The body as the upstream gets it. A request routed by this LLM's name (POST /v1/chat/completions
   * {"model": "<name>"}) carries the name, not an upstream model id: the configured model answers it.
   */
  private JsonObject upstreamBody(JsonObject request) {
    JsonObject body = request.copy();
    Object model = body.getValue("model");
    if (config.model != null && (model == null || model.equals(name))) {
      body.put("model", config.model);
    }
    return body;
  }

  private static UpstreamCall.Receiver sinkReceiver(CompletionSink sink) {
    return new UpstreamCall.Receiver() {
      public void json(JsonObject answer) {
        sink.response(new ChatCompletionResponse(answer));
      }

      public void chunk(JsonObject chunk) {
        sink.chunk(new ChatCompletionChunk(chunk));
      }

      public void end() {
        sink.end();
      }

      public void fail(ServiceException error) {
        sink.fail(error);
      }
    };
  }

  @Override
  public Future<ModelList> models() {
    return query(HttpMethod.GET, UpstreamEndpoint.MODELS, null, UpstreamCall.Mode.QUERY, "the model list")
      .map(ModelList::new);
  }

  /** {@code POST {baseURL}/embeddings}, forwarded as it came (model mapped as for chat), answered as it returns. */
  @Override
  public Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    return query(HttpMethod.POST, UpstreamEndpoint.EMBEDDINGS, upstreamBody(request.toJson()).toBuffer(),
      UpstreamCall.Mode.COMPLETION, "the embeddings").map(EmbeddingResponse::new);
  }

  /** One call answered by a JSON object. */
  private Future<JsonObject> query(HttpMethod method, String path, Buffer body, UpstreamCall.Mode mode, String what) {
    if (client == null) {
      return Future.failedFuture(notRunning());
    }
    Promise<JsonObject> promise = Promise.promise();
    UpstreamCall call = new UpstreamCall(vertx, client, config, errors, endpoint.request(method, path), body, mode,
      new UpstreamCall.Receiver() {
        public void json(JsonObject answer) {
          promise.complete(answer);
        }

        public void chunk(JsonObject chunk) {
        }

        public void end() {
          promise.fail(errors.malformed("ended " + what + " without an answer"));
        }

        public void fail(ServiceException error) {
          promise.fail(error);
        }
      }, active::remove);
    active.add(call);
    call.start();
    return promise.future();
  }

  private ServiceException notRunning() {
    return LlmErrors.unavailable("LLM '" + name + "' is not running");
  }

  @Override
  public Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress) {
    return Future.failedFuture(unmanaged("serve (load) models"));
  }

  @Override
  public Future<Void> unload(String modelId) {
    return Future.failedFuture(unmanaged("unload model '" + modelId + "'"));
  }

  @Override
  public Future<Void> delete(String modelId) {
    return Future.failedFuture(unmanaged("delete model '" + modelId + "'"));
  }

  private ServiceException unmanaged(String what) {
    return LlmErrors.unsupported("LLM '" + name + "' (type " + config.type + ") cannot " + what
      + ": it is a remote provider, which does not load or manage model files; its models are managed by the upstream server at "
      + config.displayUrl() + hint());
  }

  private String hint() {
    switch (config.type) {
      case "lmstudio":
        return " (load them in LM Studio or with 'lms load')";
      case "ollama":
        return " (use 'ollama pull' / 'ollama rm' there)";
      default:
        return "";
    }
  }
}
