package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The named LLMs: {@code GET/POST /llms}, {@code GET/DELETE /llms/{name}}. Configs come back redacted by the registry. */
final class ManagementRoutes {

  private final LlmService service;

  ManagementRoutes(LlmService service) {
    this.service = service;
  }

  void mount(Router router) {
    router.get("/llms").handler(this::list);
    router.post("/llms").handler(this::create);
    router.get("/llms/:name").handler(this::get);
    router.delete("/llms/:name").handler(this::remove);
  }

  private void list(RoutingContext ctx) {
    allInOrder(service)
      .onSuccess(all -> {
        List<JsonObject> data = new ArrayList<>();
        all.forEach(info -> data.add(info.toJson()));
        Responses.json(ctx.response(), 200, Responses.list(data));
      })
      .onFailure(ctx::fail);
  }

  /**
   * Every LLM's info in the order they were created: by {@code created}, and within a second in {@code getNames}'
   * order (the map of {@code getAllInfo} loses its order on its way through the service proxy; across a cluster
   * {@code getNames} lists this node's LLMs first).
   */
  static Future<List<LlmInfo>> allInOrder(LlmService service) {
    return Future.all(service.getNames(), service.getAllInfo()).map(cf -> {
      Map<String, LlmInfo> all = new HashMap<>(cf.<Map<String, LlmInfo>>resultAt(1));
      List<LlmInfo> ordered = new ArrayList<>();
      for (String name : cf.<List<String>>resultAt(0)) {
        LlmInfo info = all.remove(name);
        if (info != null) {
          ordered.add(info);
        }
      }
      all.keySet().stream().sorted().forEach(name -> ordered.add(all.get(name))); // created meanwhile
      ordered.sort(Comparator.comparingLong(info -> info.toJson().getLong("created", 0L))); // stable
      return ordered;
    });
  }

  private void create(RoutingContext ctx) {
    JsonObject body = RequestBodies.object(ctx);
    String name = requiredString(body, "name");
    Object type = body.getValue("type"); // or config.type, as the spec writes it: the registry decides
    if (type != null && !(type instanceof String)) {
      throw LlmErrors.invalidField("type", "'type' must be a string");
    }
    Object config = body.getValue("config");
    if (config != null && !(config instanceof JsonObject)) {
      throw LlmErrors.invalidField("config", "'config' must be an object");
    }
    service.create(name, (String) type, (JsonObject) config)
      .onSuccess(info -> Responses.json(ctx.response(), 201, info.toJson()))
      .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    service.getRequired(ctx.pathParam("name"))
      .onSuccess(info -> Responses.json(ctx.response(), 200, info.toJson()))
      .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    service.remove(name)
      .compose(removed -> removed ? Future.<Void>succeededFuture()
        : service.getNames().compose(names -> Future.<Void>failedFuture(LlmErrors.notFound(name, names))))
      .onSuccess(v -> Responses.json(ctx.response(), 200, new JsonObject().put("deleted", true).put("name", name)))
      .onFailure(ctx::fail);
  }

  private static String requiredString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw LlmErrors.invalidField(field, "'" + field + "' is required");
    }
    if (!(value instanceof String)) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be a string");
    }
    return (String) value;
  }
}
