package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.Secrets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link LlmInfo} of this node's LLMs: what the registry knows (queue, config, failure) merged with each
 * provider's own status. Used on the registry's context only.
 */
final class LlmInfos {

  private final LlmLifecycle llms;

  LlmInfos(LlmLifecycle llms) {
    this.llms = llms;
  }

  Future<Map<String, LlmInfo>> all() {
    List<LlmEntry> list = llms.all();
    List<Future<LlmInfo>> infos = new ArrayList<>();
    list.forEach(e -> infos.add(info(e)));
    return Future.join(infos).map(cf -> {
      Map<String, LlmInfo> map = new LinkedHashMap<>();
      for (int i = 0; i < list.size(); i++) {
        map.put(list.get(i).name, infos.get(i).result());
      }
      return map;
    });
  }

  Future<LlmInfo> info(LlmEntry entry) {
    JsonObject base = new JsonObject()
      .put("name", entry.name)
      .put("type", entry.type)
      .put("created", entry.created)
      .put("status", entry.deployment.failed() ? "failed" : "loading")
      .put("slots", entry.slots())
      .put("inFlight", entry.inFlight())
      .put("queued", entry.queued())
      .put("config", Secrets.redact(entry.config));
    if (entry.failure() != null) {
      return Future.succeededFuture(new LlmInfo(base.put("status", "failed").put("error", entry.failure())
        .put("retryInMs", entry.retryInMs()).put("failuresInARow", entry.failuresInARow())));
    }
    return llms.status(entry.name)
      .map(status -> {
        JsonObject merged = status.copy().mergeIn(base.copy().put("status", status.getString("status", "ready")));
        if (status.containsKey("slots")) {
          merged.put("slots", status.getInteger("slots"));
        }
        return new LlmInfo(withPercent(merged));
      })
      .otherwise(e -> new LlmInfo(withPercent(base)));
  }

  /**
   * A loading LLM shows how far it got: the provider's own {@code percent}, else that of the serve it reports
   * running, else 0 (a model file loads in one step; llama.cpp does not report its progress).
   */
  private static JsonObject withPercent(JsonObject info) {
    if ("loading".equals(info.getString("status")) && !(info.getValue("percent") instanceof Number)) {
      Object serving = info.getValue("serving");
      Object percent = serving instanceof JsonObject ? ((JsonObject) serving).getValue("percent") : null;
      info.put("percent", percent instanceof Number ? percent : 0);
    }
    return info;
  }
}
