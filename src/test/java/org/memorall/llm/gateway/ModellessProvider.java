package org.memorall.llm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.util.List;

/**
 * The parts the gateway's test providers share: one slot, ready, no models (serve is unsupported, the list is
 * empty, unload and delete do nothing), nothing to stop. Subclasses start and answer chat completions. The
 * cluster tests' provider extends it too.
 */
public abstract class ModellessProvider implements LlmProvider {

  @Override
  public Future<Void> stop() {
    return Future.succeededFuture();
  }

  @Override
  public int slots() {
    return 1;
  }

  @Override
  public JsonObject status() {
    return new JsonObject().put("status", "ready");
  }

  @Override
  public Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress) {
    return Future.failedFuture(LlmErrors.unsupported("no models"));
  }

  @Override
  public Future<ModelList> models() {
    return Future.succeededFuture(ModelList.of(List.of()));
  }

  @Override
  public Future<Void> unload(String modelId) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> delete(String modelId) {
    return Future.succeededFuture();
  }
}
