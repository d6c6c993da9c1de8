package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/**
 * What {@code serve} should load: a HuggingFace repo ({@code username}, {@code repo}, optional {@code file} and
 * {@code revision}), or a GGUF file already on disk ({@code path}).
 */
@DataObject
public class ServeRequest extends JsonData {

  public ServeRequest(JsonObject json) {
    super(json);
  }

  public static ServeRequest path(String path) {
    return new ServeRequest(new JsonObject().put("path", path));
  }

  public static ServeRequest repo(String username, String repo) {
    return new ServeRequest(new JsonObject().put("username", username).put("repo", repo));
  }

  public String getPath() {
    return json.getString("path");
  }

  public String getUsername() {
    return json.getString("username");
  }

  public String getRepo() {
    return json.getString("repo");
  }

  public String getFile() {
    return json.getString("file");
  }

  public String getRevision() {
    return json.getString("revision");
  }
}
