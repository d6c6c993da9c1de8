package org.memorall.llm.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.RequestTimeouts;

/**
 * {@code POST /v1/chat/completions} (the LLM named by {@code model}, else the default) and
 * {@code POST /llms/{name}/v1/chat/completions} (the LLM named by the path; {@code model} goes to its provider).
 */
final class ChatRoutes {

  /** Per-request limits (see {@link RequestTimeouts}); a bad value is a 400 naming the header. */
  static final String REQUEST_TIMEOUT_HEADER = "X-Request-Timeout-Ms";
  static final String FIRST_TOKEN_TIMEOUT_HEADER = "X-First-Token-Timeout-Ms";

  private final LlmClient client;
  private final RequestLimits limits;

  ChatRoutes(LlmClient client, RequestLimits limits) {
    this.client = client;
    this.limits = limits;
  }

  void mount(Router router) {
    router.post("/v1/chat/completions").handler(ctx -> complete(ctx, null));
    router.post("/llms/:name/v1/chat/completions").handler(ctx -> complete(ctx, ctx.pathParam("name")));
  }

  /** {@code name} null lets the registry pick the LLM from the request's model, else the default LLM. */
  private void complete(RoutingContext ctx, String name) {
    RequestTimeouts timeouts = RequestTimeouts.fromHeaders(ctx.request().headers(), REQUEST_TIMEOUT_HEADER,
      FIRST_TOKEN_TIMEOUT_HEADER);
    ChatCompletionRequest request = new ChatCompletionRequest(RequestBodies.object(ctx)).validate();
    limits.check(request);
    if (request.isStream()) {
      LlmStream<ChatCompletionChunk> stream = client.streamChatCompletions(name, request, timeouts);
      RequestRecord record = RequestRecord.of(ctx); // counts tokens for the access log and the metrics
      SseRelay.relay(ctx, stream, chunk -> {
        record.chunk(chunk);
        return chunk.toJson().toBuffer();
      });
    } else {
      respond(ctx, client.completion(name, request, timeouts));
    }
  }

  private static void respond(RoutingContext ctx, LlmStream<ChatCompletionResponse> stream) {
    HttpServerResponse response = ctx.response();
    response.closeHandler(v -> stream.cancel());
    stream
      .handler(completion -> {
        Responses.servedBy(response, stream);
        RequestRecord.of(ctx).completion(completion);
        Responses.json(response, 200, completion.toJson());
      })
      .exceptionHandler(ctx::fail)
      .endHandler(v -> {
        if (!response.ended()) {
          ctx.fail(LlmErrors.internal("The LLM ended without a response"));
        }
      });
  }
}
