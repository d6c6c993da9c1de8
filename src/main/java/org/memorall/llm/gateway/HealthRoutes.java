package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;

import java.util.Set;

/**
 * {@code GET /health} (liveness: the node answers HTTP) and {@code GET /ready} (readiness: the registry answers
 * and the default LLM is ready), in the JSON of Vert.x Health Checks: {@code {"status","checks":[{"id","status",
 * "data"?}],"outcome"}}, 200 when UP, 503 when DOWN. Written by hand rather than with vertx-health-check: two fixed
 * checks do not need its procedure registry, and readiness must not create the default LLM (the registry's
 * {@code get} does not).
 */
final class HealthRoutes {

  /**
   * Statuses of an LLM that can take a request now. An unloaded model reloads on the next request, so it is
   * ready: reporting it not ready would keep traffic away and it would never be reloaded.
   */
  private static final Set<String> READY = Set.of("ready", "unloaded");

  private final LlmService registry;
  private final String defaultLlm;

  /** {@code registry} should have a short send timeout: a registry that does not answer soon is not ready. */
  HealthRoutes(LlmService registry, String defaultLlm) {
    this.registry = registry;
    this.defaultLlm = defaultLlm;
  }

  void mount(Router router) {
    router.get("/health").handler(ctx -> reply(ctx, new JsonArray()));
    router.get("/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    Future<LlmInfo> info = registry.get(defaultLlm);
    info.onComplete(ar -> {
      JsonArray checks = new JsonArray();
      if (ar.failed()) {
        checks.add(check("registry", false, new JsonObject().put("reason", LlmErrors.from(ar.cause()).getMessage())));
        checks.add(check("llm." + defaultLlm, false, null));
      } else {
        checks.add(check("registry", true, null));
        LlmInfo llm = ar.result();
        String status = llm == null ? "missing" : llm.getStatus();
        checks.add(check("llm." + defaultLlm, READY.contains(status), new JsonObject().put("status", status)));
      }
      reply(ctx, checks);
    });
  }

  private static JsonObject check(String id, boolean up, JsonObject data) {
    JsonObject check = new JsonObject().put("id", id).put("status", up ? "UP" : "DOWN");
    return data == null ? check : check.put("data", data);
  }

  private static void reply(RoutingContext ctx, JsonArray checks) {
    boolean up = checks.stream().allMatch(c -> "UP".equals(((JsonObject) c).getString("status")));
    String status = up ? "UP" : "DOWN";
    ctx.response().putHeader("Cache-Control", "no-store");
    Responses.json(ctx.response(), up ? 200 : 503,
      new JsonObject().put("status", status).put("checks", checks).put("outcome", status));
  }
}
