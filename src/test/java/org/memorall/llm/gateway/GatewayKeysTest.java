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
import org.memorall.llm.node.NodeConfig;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * API keys on a real node: keys from the config list, a keys file and LLM_API_KEYS; 401 without or with a wrong
 * key, 403 for management with a non-admin key, the open health paths, and auth before the body (413).
 */
@ExtendWith(VertxExtension.class)
class GatewayKeysTest {

  private static final String USER_KEY = "user-key-1";
  private static final String FILE_KEY = "file-key-2";
  private static final String ENV_KEY = "env-key-3";
  private static final String ADMIN_KEY = "admin-key-4";
  private static final int BODY_LIMIT = 64 * 1024;
  private static int port;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) throws IOException {
    Path file = Files.createTempFile("api-keys", ".txt");
    file.toFile().deleteOnExit();
    Files.writeString(file, "# one key a line\n\n  " + FILE_KEY + "  \n");
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("apiKeys", new JsonArray().add(USER_KEY)).put("apiKeysFile", file.toString())
        .put("adminKeys", new JsonArray().add(ADMIN_KEY)))
      // What the env store puts in the config when LLM_API_KEYS is set.
      .put(NodeConfig.API_KEYS_ENV, " other-env-key ," + ENV_KEY);
    config.getJsonObject("http").put("maxBodyBytes", BODY_LIMIT);
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  @Test
  void noKeyIs401WithWwwAuthenticate() {
    HttpResponse<String> response = new Http(port).get("/v1/models");
    JsonObject error = Http.error(response, 401);
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("invalid_api_key", error.getString("code"));
    assertEquals("Bearer", response.headers().firstValue("WWW-Authenticate").orElse(null));
    // Every kind of endpoint is guarded, an unknown one too.
    for (String path : new String[]{"/llms", "/llms/default", "/llms/default/models", "/nope"}) {
      Http.error(new Http(port).get(path), 401);
    }
    Http.error(new Http(port).post("/v1/chat/completions", Http.chat("Once upon a time", 2)), 401);
    Http.error(new Http(port).post("/v1/embeddings", new JsonObject().put("input", "x")), 401);
  }

  @Test
  void wrongKeyOrSchemeIs401() {
    HttpResponse<String> response = new Http(port, "not-a-key").get("/v1/models");
    assertEquals("invalid_api_key", Http.error(response, 401).getString("code"));
    assertEquals("Bearer", response.headers().firstValue("WWW-Authenticate").orElse(null));
    // A key that differs by one character, or a valid key under another scheme, is no key.
    Http.error(new Http(port, USER_KEY + "x").get("/v1/models"), 401);
    Http http = new Http(port);
    HttpResponse<String> basic = http.send(http.request("/v1/models").header("Authorization", "Basic " + USER_KEY).build());
    Http.error(basic, 401);
  }

  @Test
  void everyConfiguredKeyIsAccepted() {
    for (String key : new String[]{USER_KEY, FILE_KEY, ENV_KEY, "other-env-key", ADMIN_KEY}) {
      JsonObject list = Http.json(new Http(port, key).get("/v1/models"), 200);
      assertEquals("list", list.getString("object"), key);
    }
    Http http = new Http(port);
    HttpResponse<String> lowercase = http.send(http.request("/v1/models").header("Authorization", "bearer " + USER_KEY).build());
    Http.json(lowercase, 200);
    JsonObject completion = Http.json(new Http(port, USER_KEY).post("/v1/chat/completions", Http.chat("Once upon a time", 2)), 200);
    assertEquals("chat.completion", completion.getString("object"));
  }

  @Test
  void aBadPathWithoutAKeyIs401NotA500() throws IOException {
    // The JDK client refuses such a URL; with a key (or no keys) it is the router's 400, see FuzzTest.
    RawExchange answer = RawExchange.send(port, "GET", "/llms/%zz", null, null, 5000);
    assertEquals(401, answer.status, answer.body());
  }

  @Test
  void healthReadyMetricsAndOpenApiNeedNoKey() {
    // The observability routes and the API's description; whatever they answer, it is not a 401.
    for (String path : new String[]{"/health", "/ready", "/metrics", "/health/", "/openapi.json"}) {
      assertNotEquals(401, new Http(port).get(path).statusCode(), path);
    }
  }

  @Test
  void managementNeedsAnAdminKey() {
    Http user = new Http(port, USER_KEY);
    JsonObject create = new JsonObject().put("name", "admin-made").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1));
    JsonObject forbidden = Http.error(user.post("/llms", create), 403);
    assertEquals("admin_key_required", forbidden.getString("code"));
    Http.error(user.delete("/llms/default"), 403);
    Http.error(user.post("/llms/default/serve", "{}"), 403);
    Http.error(user.post("/llms/default/models/stories260K/unload", "{}"), 403);
    Http.error(user.delete("/llms/default/models/stories260K"), 403);
    // Without a key it is still a 401, not a 403.
    Http.error(new Http(port).post("/llms", create), 401);
    // Reading is not management.
    Http.json(user.get("/llms"), 200);
    Http.json(user.get("/llms/default"), 200);

    Http admin = new Http(port, ADMIN_KEY);
    Http.json(admin.post("/llms", create), 201);
    Http.json(admin.delete("/llms/admin-made"), 200);
  }

  @Test
  void authComesBeforeTheBody() {
    String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(BODY_LIMIT) + "\"}]}";
    // Without a key the body is never read: 401, not 413.
    Http.error(new Http(port).post("/v1/chat/completions", big), 401);
    JsonObject error = Http.error(new Http(port, USER_KEY).post("/v1/chat/completions", big), 413);
    assertEquals("request_too_large", error.getString("code"));
  }

  /** Its own Vert.x: a second node in the same one would share the registry's event-bus address. */
  @Test
  void onlyAdminKeysLeaveTheApiOpen(VertxTestContext ctx) {
    Vertx vertx = Vertx.vertx();
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("adminKeys", new JsonArray().add(ADMIN_KEY)));
    TestNode.deploy(vertx, config)
      .compose(p -> vertx.executeBlocking(() -> {
        Http.json(new Http(p).get("/v1/models"), 200);
        // Keys on an open API are ignored (SDKs always send one).
        Http.json(new Http(p, "anything").get("/llms"), 200);
        JsonObject create = new JsonObject().put("name", "x1").put("type", "llamacpp");
        Http.error(new Http(p).post("/llms", create), 401);
        Http.error(new Http(p, "anything").post("/llms", create), 401);
        Http.error(new Http(p, "anything").delete("/llms/default"), 401);
        Http.json(new Http(p, ADMIN_KEY).get("/llms/default/models"), 200);
        return null;
      }))
      .onComplete(ar -> {
        // Closed after the verdict: a callback on a closed Vert.x would never run.
        if (ar.failed()) {
          ctx.failNow(ar.cause());
        } else {
          ctx.completeNow();
        }
        vertx.close();
      });
  }
}
