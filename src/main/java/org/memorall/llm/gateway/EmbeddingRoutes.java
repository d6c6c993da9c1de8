package org.memorall.llm.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmService;

/**
 * {@code POST /v1/embeddings} (the LLM named by {@code model}, else the default) and
 * {@code POST /llms/{name}/v1/embeddings} (the LLM named by the path; {@code model} goes to its provider).
 */
final class EmbeddingRoutes {

  private final LlmService service;
  private final int maxChars;

  /** {@code maxChars}: at most this many characters of input in all (limits.maxChars), like a chat's content. */
  EmbeddingRoutes(LlmService service, int maxChars) {
    this.service = service;
    this.maxChars = maxChars;
  }

  void mount(Router router) {
    router.post("/v1/embeddings").handler(ctx -> embed(ctx, null));
    router.post("/llms/:name/v1/embeddings").handler(ctx -> embed(ctx, ctx.pathParam("name")));
  }

  private void embed(RoutingContext ctx, String name) {
    EmbeddingRequest request = new EmbeddingRequest(RequestBodies.object(ctx)).validate();
    long chars = request.getInputs().stream().mapToLong(String::length).sum();
    if (chars > maxChars) {
      throw LlmErrors.of(400, "invalid_request_error", "input", "input_too_long", "'input' holds " + chars
        + " characters; at most " + maxChars + " are allowed (limits.maxChars)");
    }
    HttpServerResponse response = ctx.response();
    (name == null ? service.embeddings(request) : service.embeddingsFor(name, request))
      .onSuccess(answer -> {
        if (answer.getServedBy() != null && !response.headWritten()) {
          response.putHeader(Responses.SERVED_BY_HEADER, answer.getServedBy());
        }
        answer.toJson().remove("served_by"); // the header says it; the body stays OpenAI's
        Responses.json(response, 200, answer.toJson());
      })
      .onFailure(ctx::fail);
  }
}
