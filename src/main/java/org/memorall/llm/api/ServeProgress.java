package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/** One progress event of {@code serve}: {@code phase} (resolving, downloading, verifying, loading, ready), bytes, percent. */
@DataObject
public class ServeProgress extends JsonData {

  public ServeProgress(JsonObject json) {
    super(json);
  }

  public static ServeProgress of(String phase, long done, long total) {
    double percent = total > 0 ? Math.min(100.0, done * 100.0 / total) : ("ready".equals(phase) ? 100.0 : 0.0);
    return new ServeProgress(new JsonObject().put("phase", phase).put("bytes", done).put("total", total)
      .put("percent", Math.round(percent * 10) / 10.0));
  }

  public String getPhase() {
    return json.getString("phase");
  }

  public double getPercent() {
    return json.getDouble("percent", 0.0);
  }
}
