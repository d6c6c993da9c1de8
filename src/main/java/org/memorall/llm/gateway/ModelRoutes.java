package org.memorall.llm.gateway;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.LlmClient;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * Models: {@code GET /v1/models} lists the named LLMs as OpenAI models; under {@code /llms/{name}} the models of
 * one LLM, and serving, unloading and deleting them. Model ids may hold '/', sent as %2F; path params arrive decoded.
 */
final class ModelRoutes {

  private final LlmService service;
  private final LlmClient client;
  /** OpenAI's {@code created} of an LLM whose info has none (a node of an older version): the gateway's start. */
  private final long startedAt = System.currentTimeMillis() / 1000;

  ModelRoutes(LlmService service, LlmClient client) {
    this.service = service;
    this.client = client;
  }

  void mount(Router router) {
    router.get("/v1/models").handler(this::listLlms);
    router.get("/llms/:name/v1/models").handler(this::models);
    router.get("/llms/:name/models").handler(this::models);
    router.post("/llms/:name/serve").handler(this::serve);
    router.post("/llms/:name/models/:id/unload").handler(this::unload);
    router.delete("/llms/:name/models/:id").handler(this::delete);
  }

  private void listLlms(RoutingContext ctx) {
    ManagementRoutes.allInOrder(service)
      .onSuccess(all -> {
        List<JsonObject> data = new ArrayList<>();
        all.forEach(info -> data.add(asModel(info)));
        Responses.json(ctx.response(), 200, Responses.list(data));
      })
      .onFailure(ctx::fail);
  }

  private JsonObject asModel(LlmInfo info) {
    Object created = info.toJson().getValue("created");
    return new JsonObject()
      .put("id", info.getName())
      .put("object", "model")
      .put("created", created instanceof Number ? created : startedAt)
      .put("owned_by", info.getType());
  }

  private void models(RoutingContext ctx) {
    service.models(ctx.pathParam("name"))
      .onSuccess(list -> Responses.json(ctx.response(), 200, list.toJson()))
      .onFailure(ctx::fail);
  }

  /** SSE progress when the client accepts text/event-stream, else the loaded model once it is ready. */
  private void serve(RoutingContext ctx) {
    ServeRequest request = new ServeRequest(RequestBodies.objectOrEmpty(ctx));
    LlmStream<ServeProgress> stream = client.serve(ctx.pathParam("name"), request);
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    if (accept != null && accept.contains("text/event-stream")) {
      SseRelay.relay(ctx, stream, progress -> progress.toJson().toBuffer());
    } else {
      awaitModel(ctx, stream);
    }
  }

  /** Streams even without SSE: a long download keeps the stream alive, where a plain request would time out. */
  private static void awaitModel(RoutingContext ctx, LlmStream<ServeProgress> stream) {
    HttpServerResponse response = ctx.response();
    response.closeHandler(v -> stream.cancel());
    stream
      .handler(progress -> {
        JsonObject model = progress.toJson().getJsonObject("model");
        if (model != null) {
          Responses.json(response, 200, model);
        }
      })
      .exceptionHandler(ctx::fail)
      .endHandler(v -> {
        if (!response.ended()) {
          ctx.fail(LlmErrors.internal("serve ended without a model"));
        }
      });
  }

  private void unload(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String id = ctx.pathParam("id");
    service.unload(name, id)
      .onSuccess(v -> Responses.json(ctx.response(), 200, modelResult(name, id).put("unloaded", true)))
      .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String id = ctx.pathParam("id");
    service.delete(name, id)
      .onSuccess(v -> Responses.json(ctx.response(), 200, modelResult(name, id).put("deleted", true)))
      .onFailure(ctx::fail);
  }

  private static JsonObject modelResult(String llm, String id) {
    return new JsonObject().put("id", id).put("object", "model").put("llm", llm);
  }
}
