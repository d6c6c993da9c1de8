package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The management API: named LLMs and their models, on the real bundled model. */
@ExtendWith(VertxExtension.class)
class ManagementRoutesTest {

  private static final String SECRET = "sk-secret-123";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void listsTheLlmsAndDescribesOne() {
    JsonObject list = Http.json(http.get("/llms"), 200);
    assertEquals("list", list.getString("object"));
    JsonObject info = byField(list.getJsonArray("data"), "name", "default");
    assertEquals("llamacpp", info.getString("type"));
    assertEquals("ready", info.getString("status"));
    assertEquals(2, info.getInteger("slots"));

    JsonObject one = Http.json(http.get("/llms/default"), 200);
    assertEquals("default", one.getString("name"));
    assertEquals(0, one.getInteger("inFlight"));
  }

  @Test
  void listsTheLlmsAsOpenAiModels() {
    JsonObject list = Http.json(http.get("/v1/models"), 200);
    assertEquals("list", list.getString("object"));
    JsonObject model = byField(list.getJsonArray("data"), "id", "default");
    assertEquals("model", model.getString("object"));
    assertEquals("llamacpp", model.getString("owned_by"));
    assertTrue(model.getValue("created") instanceof Number, model::encode);
  }

  @Test
  void listsComeInTheOrderTheLlmsWereCreatedWithTheirCreationTime() throws Exception {
    long before = System.currentTimeMillis() / 1000;
    for (String name : new String[] {"zeta", "alpha", "mu"}) {
      Http.json(http.post("/llms", new JsonObject().put("name", name).put("type", "lmstudio")
        .put("config", new JsonObject().put("baseURL", "http://127.0.0.1:1/v1"))), 201);
    }
    try {
      List<String> listed = names(Http.json(http.get("/llms"), 200), "name");
      List<String> models = names(Http.json(http.get("/v1/models"), 200), "id");
      assertEquals(List.of("zeta", "alpha", "mu"), listed.subList(listed.indexOf("zeta"), listed.indexOf("zeta") + 3));
      assertEquals(listed, models);
      JsonObject zeta = byField(Http.json(http.get("/v1/models"), 200).getJsonArray("data"), "id", "zeta");
      assertTrue(zeta.getLong("created") >= before, zeta::encode);
      assertTrue(Http.json(http.get("/llms/default"), 200).getLong("created") <= zeta.getLong("created"));
    } finally {
      for (String name : new String[] {"zeta", "alpha", "mu"}) {
        Http.json(http.delete("/llms/" + name), 200);
      }
    }
  }

  private static List<String> names(JsonObject list, String field) {
    return list.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString(field)).collect(Collectors.toList());
  }

  @Test
  void listsTheModelsOfOneLlm() {
    for (String path : new String[] {"/llms/default/models", "/llms/default/v1/models"}) {
      JsonObject list = Http.json(http.get(path), 200);
      assertEquals("list", list.getString("object"));
      JsonObject model = byField(list.getJsonArray("data"), "id", "stories260K");
      assertEquals("model", model.getString("object"));
      assertTrue(model.getBoolean("loaded"), model::encode);
    }
  }

  @Test
  void createsUsesAndRemovesAnLlmWithoutShowingItsSecrets() {
    JsonObject spec = new JsonObject().put("name", "second").put("type", "wllama")
      .put("config", new JsonObject().put("parallel", 1));
    HttpResponse<String> created = http.post("/llms", spec);
    assertFalse(created.body().contains(SECRET), created::body);
    JsonObject info = Http.json(created, 201);
    assertEquals("second", info.getString("name"));
    assertEquals("llamacpp", info.getString("type"));
    assertEquals(1, info.getInteger("slots"));

    for (String path : new String[] {"/llms", "/llms/second"}) {
      HttpResponse<String> response = http.get(path);
      assertEquals(200, response.statusCode());
      assertFalse(response.body().contains(SECRET), response::body);
    }
    byField(Http.json(http.get("/v1/models"), 200).getJsonArray("data"), "id", "second");

    JsonObject completion = Http.json(http.post("/llms/second/v1/chat/completions", Http.chat("Once upon a time", 12)), 200);
    assertTrue(completion.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content")
      .startsWith(ChatCompletionsTest.STORY), completion::encode);

    assertEquals(new JsonObject().put("deleted", true).put("name", "second"), Http.json(http.delete("/llms/second"), 200));
    Http.error(http.get("/llms/second"), 404);

    // A remote LLM's key is shown as "***" (nothing is contacted before a request).
    HttpResponse<String> keyed = http.post("/llms", new JsonObject().put("name", "keyed").put("type", "lmstudio")
      .put("config", new JsonObject().put("baseURL", "http://127.0.0.1:1/v1").put("apiKey", SECRET)));
    assertFalse(keyed.body().contains(SECRET), keyed::body);
    assertEquals("***", Http.json(keyed, 201).getJsonObject("config").getString("apiKey"));
    for (String path : new String[] {"/llms", "/llms/keyed"}) {
      HttpResponse<String> response = http.get(path);
      assertEquals(200, response.statusCode());
      assertFalse(response.body().contains(SECRET), response::body);
    }
    Http.json(http.delete("/llms/keyed"), 200);
  }

  @Test
  void aMisspelledSettingIsRefusedNamingTheOneMeant() {
    JsonObject error = Http.error(http.post("/llms", new JsonObject().put("name", "typo").put("type", "llamacpp")
      .put("config", new JsonObject().put("paralel", 4))), 400);
    assertEquals("config", error.getString("param"));
    assertTrue(error.getString("message").contains("'paralel' is not a setting of type 'llamacpp' (did you mean "
      + "'parallel'?)"), error::encode);
    error = Http.error(http.post("/llms", new JsonObject().put("name", "typo").put("type", "openai")
      .put("config", new JsonObject().put("apiKey", "k").put("retry", new JsonObject().put("maxAtempts", 2)))), 400);
    assertTrue(error.getString("message").contains("'retry.maxAtempts' is not a setting (did you mean 'maxAttempts'?)"),
      error::encode);
    error = Http.error(http.post("/llms", new JsonObject().put("name", "typo").put("type", "ollama")
      .put("config", new JsonObject().put("BaseUrl", "http://127.0.0.1:1/v1"))), 400);
    assertTrue(error.getString("message").contains("(did you mean 'baseURL'?)"), error::encode);
    Http.error(http.get("/llms/typo"), 404);
    // The registry's own settings go with any type; 'url' (the spec's wllama runner URL) is accepted and ignored.
    Http.json(http.post("/llms", new JsonObject().put("name", "typo").put("type", "wllama").put("config",
      new JsonObject().put("parallel", 1).put("url", "http://runner").put("maxQueue", 4).put("fallbacks",
        new JsonArray().add("default")))), 201);
    Http.json(http.delete("/llms/typo"), 200);
  }

  @Test
  void theTypeMayComeInTheConfigAsTheSpecWritesIt() {
    // create('lm', {type: 'lmstudio', baseURL: ...}): nothing is contacted before a request
    JsonObject lm = Http.json(http.post("/llms", new JsonObject().put("name", "lm")
      .put("config", new JsonObject().put("type", "lmstudio").put("baseURL", "http://127.0.0.1:1/v1"))), 201);
    assertEquals("lmstudio", lm.getString("type"));
    assertEquals(new JsonObject().put("deleted", true).put("name", "lm"), Http.json(http.delete("/llms/lm"), 200));

    JsonObject mismatch = Http.error(http.post("/llms", new JsonObject().put("name", "x").put("type", "openai")
      .put("config", new JsonObject().put("type", "wllama").put("apiKey", "k"))), 400);
    assertEquals("config", mismatch.getString("param"));
    assertTrue(mismatch.getString("message").contains("'config.type' is 'wllama' but 'type' is 'openai'"),
      mismatch::encode);
    // An alias of the same type is the same type.
    Http.json(http.post("/llms", new JsonObject().put("name", "y").put("type", "llamacpp")
      .put("config", new JsonObject().put("type", "wllama").put("parallel", 1))), 201);
    Http.json(http.delete("/llms/y"), 200);

    JsonObject none = Http.error(http.post("/llms", new JsonObject().put("name", "z").put("config", new JsonObject())), 400);
    assertEquals("type", none.getString("param"));
    assertTrue(none.getString("message").contains("Available types: "), none::encode);
    Http.error(http.get("/llms/x"), 404);
    Http.error(http.get("/llms/z"), 404);
  }

  @Test
  void servesUnloadsAndDeletesModels() throws Exception {
    Path bundled = Path.of(byField(Http.json(http.get("/llms/default/models"), 200).getJsonArray("data"), "id", "stories260K")
      .getString("path"));
    Path modelsDir = bundled.getParent().getParent();
    Path copy = Files.createDirectories(modelsDir.resolve("copies")).resolve("tiny.gguf");
    Files.copy(bundled, copy);
    Http.json(http.post("/llms", new JsonObject().put("name", "loader").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);

    HttpResponse<String> progress = http.post("/llms/loader/serve", new JsonObject().put("path", copy.toString()).encode(),
      "Accept", "text/event-stream");
    assertEquals(200, progress.statusCode(), progress::body);
    assertEquals("text/event-stream; charset=utf-8", progress.headers().firstValue("content-type").orElse(null));
    List<JsonObject> events = Sse.events(progress.body());
    JsonObject ready = events.get(events.size() - 1);
    assertEquals("ready", ready.getString("phase"), progress::body);
    assertEquals("tiny", ready.getJsonObject("model").getString("id"));
    assertTrue(byField(Http.json(http.get("/llms/loader/models"), 200).getJsonArray("data"), "id", "tiny").getBoolean("loaded"));

    JsonObject served = Http.json(http.post("/llms/loader/serve", new JsonObject().put("path", bundled.toString())), 200);
    assertEquals("stories260K", served.getString("id"));

    // Model ids may hold '/': clients send it as %2F.
    JsonObject unloaded = Http.json(http.post("/llms/loader/models/bundled%2Fstories260K.gguf/unload", ""), 200);
    assertEquals(new JsonObject().put("id", "bundled/stories260K.gguf").put("object", "model").put("llm", "loader")
      .put("unloaded", true), unloaded);
    assertFalse(byField(Http.json(http.get("/llms/loader/v1/models"), 200).getJsonArray("data"), "id", "stories260K")
      .getBoolean("loaded"));

    JsonObject deleted = Http.json(http.delete("/llms/loader/models/copies%2Ftiny.gguf"), 200);
    assertTrue(deleted.getBoolean("deleted"), deleted::encode);
    assertFalse(Files.exists(copy));
    JsonObject missing = Http.error(http.delete("/llms/loader/models/no%2Fsuch"), 404);
    assertTrue(missing.getString("message").contains("no/such"), missing::encode);

    // A serve that fails before any progress is a plain HTTP error, even to an SSE client.
    JsonObject bad = Http.error(http.post("/llms/loader/serve", "{}", "Accept", "text/event-stream"), 400);
    assertEquals("path", bad.getString("param"));

    Http.json(http.delete("/llms/loader"), 200);
  }

  static JsonObject byField(JsonArray data, String field, String value) {
    for (int i = 0; i < data.size(); i++) {
      if (value.equals(data.getJsonObject(i).getString(field))) {
        return data.getJsonObject(i);
      }
    }
    throw new AssertionError("no " + field + " '" + value + "' in " + data.encode());
  }
}
