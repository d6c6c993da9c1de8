package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document served at {@code /openapi.json} matches what the gateway does: the routes it mounts are the
 * documented ones, and real responses (status, content type, headers, JSON bodies and SSE events) on the real
 * bundled model validate against the schemas the document gives for their path, method and status.
 */
@ExtendWith(VertxExtension.class)
class OpenApiTest {

  private static final Pattern ROUTE = Pattern.compile("router\\.(get|post|delete|put|patch)\\(\"([^\"]+)\"\\)");
  private static final Set<String> CHECKED_HEADERS = Set.of("retry-after", "x-llm-served-by", "x-llm-queue-wait-ms");
  private static Http http;
  private static JsonObject doc;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  private static JsonObject doc() {
    if (doc == null) {
      HttpResponse<String> response = http.get("/openapi.json");
      doc = Http.json(response, 200);
      assertEquals("3.1.0", doc.getString("openapi"));
      check(response, "/openapi.json", "get");
    }
    return doc;
  }

  @Test
  void documentsExactlyTheRoutesTheGatewayMounts() throws IOException {
    Set<String> mounted = new TreeSet<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/java/org/memorall/llm/gateway"))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Matcher m = ROUTE.matcher(Files.readString(file));
        while (m.find()) {
          mounted.add(m.group(1) + " " + m.group(2).replaceAll(":(\\w+)", "{$1}"));
        }
      }
    }
    Set<String> documented = new TreeSet<>();
    JsonObject paths = doc().getJsonObject("paths");
    paths.fieldNames().forEach(path -> paths.getJsonObject(path).fieldNames()
      .forEach(method -> documented.add(method + " " + path)));
    assertEquals(mounted, documented);

    // Each documented operation answers on its path (no side effects: the LLM 'nope' does not exist).
    for (String operation : documented) {
      String method = operation.substring(0, operation.indexOf(' ')).toUpperCase();
      String path = operation.substring(operation.indexOf(' ') + 1);
      String url = path.replace("{name}", "nope").replace("{id}", "no%2Fsuch");
      HttpResponse<String> response = http.send(http.request(url).method(method, method.equals("POST")
        ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody()).build());
      assertNotEquals(405, response.statusCode(), operation);
      JsonObject body = check(response, path, method.toLowerCase());
      if (response.statusCode() == 404) {
        assertNotEquals("unknown_url", body.getJsonObject("error").getString("code"), operation);
      }
    }
  }

  @Test
  void chatResponsesMatchTheDocument() {
    for (String path : new String[] {"/v1/chat/completions", "/llms/{name}/v1/chat/completions"}) {
      String url = path.replace("{name}", "default");
      JsonObject completion = check(http.post(url, Http.chat("Once upon a time", 6)), path, "post", 200);
      assertEquals("chat.completion", completion.getString("object"));
      HttpResponse<String> stream = http.post(url, Http.chat("Once upon a time", 4).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true)).encode());
      check(stream, path, "post", 200);
      assertTrue(stream.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
      check(http.post(url, "{\"messages\":[]}"), path, "post", 400);
      check(http.post(url, "not json"), path, "post", 400);
      check(http.post(url, Http.chat("x", 1).put("temperature", 3)), path, "post", 400);
    }
    check(http.post("/v1/chat/completions", Http.chat("x", 1).put("model", "nope")), "/v1/chat/completions", "post",
      404);
    check(http.post("/llms/nope/v1/chat/completions", Http.chat("x", 1)), "/llms/{name}/v1/chat/completions", "post",
      404);
    assertError(http.send(http.request("/v1/chat/completions").PUT(HttpRequest.BodyPublishers.noBody()).build()), 405);
  }

  @Test
  void embeddingResponsesMatchTheDocument() {
    check(http.post("/llms", new JsonObject().put("name", "embed-doc").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1).put("embedding", true))), "/llms", "post", 201);
    try {
      for (String path : new String[] {"/v1/embeddings", "/llms/{name}/v1/embeddings"}) {
        String url = path.replace("{name}", "embed-doc");
        JsonObject request = new JsonObject().put("model", "embed-doc").put("input", new JsonArray().add("a").add("b"));
        check(http.post(url, request), path, "post", 200);
        check(http.post(url, request.copy().put("encoding_format", "base64")), path, "post", 200);
        check(http.post(url, new JsonObject().put("input", new JsonArray())), path, "post", 400);
      }
      check(http.post("/v1/embeddings", new JsonObject().put("input", "a")), "/v1/embeddings", "post", 400);
      check(http.post("/v1/embeddings", new JsonObject().put("input", "a").put("model", "nope")), "/v1/embeddings",
        "post", 404);
    } finally {
      http.delete("/llms/embed-doc");
    }
  }

  @Test
  void modelAndHealthResponsesMatchTheDocument() {
    check(http.get("/v1/models"), "/v1/models", "get", 200);
    assertError(http.post("/v1/models", "{}"), 405);
    for (String path : new String[] {"/llms/{name}/models", "/llms/{name}/v1/models"}) {
      check(http.get(path.replace("{name}", "default")), path, "get", 200);
      check(http.get(path.replace("{name}", "nope")), path, "get", 404);
    }
    check(http.get("/health"), "/health", "get", 200);
    check(http.get("/ready"), "/ready", "get", 200);
    assertError(http.post("/health", "{}"), 405);
    check(http.get("/metrics"), "/metrics", "get", 200);
    assertError(http.delete("/metrics"), 405);
    check(http.get("/openapi.json"), "/openapi.json", "get", 200);
    assertError(http.post("/openapi.json", "{}"), 405);
    assertError(http.get("/v2/nothing"), 404);
  }

  @Test
  void managementResponsesMatchTheDocument() throws IOException {
    check(http.get("/llms"), "/llms", "get", 200);
    JsonObject spec = new JsonObject().put("name", "openapi").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1));
    check(http.post("/llms", spec), "/llms", "post", 201);
    check(http.post("/llms", spec), "/llms", "post", 409);
    check(http.post("/llms", new JsonObject().put("type", "llamacpp")), "/llms", "post", 400);
    check(http.get("/llms/openapi"), "/llms/{name}", "get", 200);
    check(http.get("/llms/nope"), "/llms/{name}", "get", 404);

    Path bundled = Path.of(ManagementRoutesTest.byField(check(http.get("/llms/openapi/models"), "/llms/{name}/models",
      "get", 200).getJsonArray("data"), "id", "stories260K").getString("path"));
    Path copy = Files.createDirectories(bundled.getParent().getParent().resolve("openapi")).resolve("small.gguf");
    Files.copy(bundled, copy);
    String serve = "/llms/{name}/serve";
    check(http.post("/llms/openapi/serve", new JsonObject().put("path", copy.toString()).encode(),
      "Accept", "text/event-stream"), serve, "post", 200);
    check(http.post("/llms/openapi/serve", new JsonObject().put("path", bundled.toString())), serve, "post", 200);
    check(http.post("/llms/openapi/serve", "{}"), serve, "post", 400);
    check(http.post("/llms/nope/serve", "{}"), serve, "post", 404);

    String unload = "/llms/{name}/models/{id}/unload";
    check(http.post("/llms/openapi/models/bundled%2Fstories260K.gguf/unload", ""), unload, "post", 200);
    check(http.post("/llms/nope/models/bundled%2Fstories260K.gguf/unload", ""), unload, "post", 404);
    String model = "/llms/{name}/models/{id}";
    check(http.delete("/llms/openapi/models/openapi%2Fsmall.gguf"), model, "delete", 200);
    check(http.delete("/llms/openapi/models/no%2Fsuch"), model, "delete", 404);

    check(http.delete("/llms/openapi"), "/llms/{name}", "delete", 200);
    check(http.delete("/llms/openapi"), "/llms/{name}", "delete", 404);
  }

  /** Checks {@code response} has {@code status} and matches the document; the JSON body, or null. */
  private static JsonObject check(HttpResponse<String> response, String path, String method, int status) {
    assertEquals(status, response.statusCode(), () -> method + " " + response.uri() + ": " + response.body());
    return check(response, path, method);
  }

  /** Validates {@code response} against what the document says of {@code path}, {@code method} and its status. */
  private static JsonObject check(HttpResponse<String> response, String path, String method) {
    JsonObject operation = doc().getJsonObject("paths").getJsonObject(path).getJsonObject(method);
    assertNotNull(operation, () -> method + " " + path + " is not documented");
    JsonObject responses = operation.getJsonObject("responses");
    String status = String.valueOf(response.statusCode());
    JsonObject documented = responses.getJsonObject(status);
    if (documented == null) {
      assertTrue(response.statusCode() >= 400, () -> status + " of " + method + " " + path + " is not documented");
      documented = responses.getJsonObject("default");
    }
    return validate(response, (JsonObject) inline(documented), method + " " + path + " " + status);
  }

  /** An error response outside any documented operation (404 unknown URL, 405): the shared error response. */
  private static void assertError(HttpResponse<String> response, int status) {
    assertEquals(status, response.statusCode(), response::body);
    validate(response, (JsonObject) inline(doc().getJsonObject("components").getJsonObject("responses")
      .getJsonObject("Error")), status + " " + response.uri());
  }

  private static JsonObject validate(HttpResponse<String> response, JsonObject documented, String what) {
    JsonObject headers = documented.getJsonObject("headers", new JsonObject());
    response.headers().map().forEach((name, values) -> {
      if (CHECKED_HEADERS.contains(name.toLowerCase())) {
        String header = headers.fieldNames().stream().filter(name::equalsIgnoreCase).findFirst().orElse(null);
        assertNotNull(header, () -> what + ": header " + name + " is not documented");
        if ("integer".equals(headers.getJsonObject(header).getJsonObject("schema").getString("type"))) {
          assertTrue(values.get(0).matches("\\d+"), () -> what + ": " + name + ": " + values);
        }
      }
    });
    String contentType = response.headers().firstValue("content-type").orElse("").split(";")[0].trim();
    JsonObject media = documented.getJsonObject("content").getJsonObject(contentType);
    assertNotNull(media, () -> what + ": content type " + contentType + " is not documented");
    switch (contentType) {
      case "application/json":
        JsonObject body = new JsonObject(response.body());
        assertValid(media.getJsonObject("schema"), body, what);
        return body;
      case "text/event-stream":
        String sse = response.body();
        List<JsonObject> events = sse.endsWith(Sse.DONE) ? Sse.events(sse) : Sse.parse(sse);
        assertTrue(!events.isEmpty(), what);
        JsonObject error = (JsonObject) inline(new JsonObject().put("$ref", "#/components/schemas/Error"));
        for (JsonObject event : events) {
          assertValid(event.containsKey("error") ? error : media.getJsonObject("x-event-schema"), event, what);
        }
        return null;
      default:
        assertValid(media.getJsonObject("schema"), response.body(), what);
        return null;
    }
  }

  private static void assertValid(JsonObject schema, Object instance, String what) {
    OutputUnit result = Validator.create(JsonSchema.of(schema), new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
      .setBaseUri("https://memorall.org/openapi.json").setOutputFormat(OutputFormat.Basic)).validate(instance);
    assertTrue(result.getValid(), () -> what + ": " + result.toJson().encode() + " for " + instance);
  }

  /** {@code value} with every local {@code $ref} of the document replaced by what it points to. */
  private static Object inline(Object value) {
    if (value instanceof JsonObject) {
      JsonObject object = (JsonObject) value;
      String ref = object.getString("$ref");
      if (ref != null) {
        Object target = doc();
        for (String part : ref.substring(2).split("/")) {
          target = ((JsonObject) target).getValue(part);
        }
        assertNotNull(target, ref);
        return inline(target);
      }
      JsonObject copy = new JsonObject();
      object.forEach(e -> copy.put(e.getKey(), inline(e.getValue())));
      return copy;
    }
    if (value instanceof JsonArray) {
      JsonArray copy = new JsonArray();
      ((JsonArray) value).forEach(v -> copy.add(inline(v)));
      return copy;
    }
    return value;
  }
}
