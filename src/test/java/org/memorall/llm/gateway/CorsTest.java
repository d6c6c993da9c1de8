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

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CORS as a browser sees it: a preflight from an allowed and from a disallowed origin, the headers of the real
 * request (also of a 401, so the page can read it), any origin with "*", no CORS headers at all without config, and
 * none needed by a page of the gateway itself (same origin).
 */
@ExtendWith(VertxExtension.class)
class CorsTest {

  private static final String APP = "https://app.example.com";
  private static final String KEY = "browser-key";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("apiKeys", new JsonArray().add(KEY)))
      .put("cors", new JsonObject().put("allowedOrigins", new JsonArray().add(APP).add("http://localhost:5173")));
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void aPageOfTheGatewayItselfNeedsNoCors() {
    // What a browser sends with the playground's POST: its own origin, which is not in the list.
    HttpResponse<String> own = http.send(http.request("/v1/chat/completions")
      .POST(HttpRequest.BodyPublishers.ofString(Http.chat("Once upon a time", 2).encode()))
      .header("Content-Type", "application/json").header("Authorization", "Bearer " + KEY)
      .header("Origin", "http://127.0.0.1:" + http.port).build());
    assertEquals(200, own.statusCode(), own.body());
    assertFalse(header(own, "Access-Control-Allow-Origin").isPresent());
    HttpResponse<String> other = http.send(http.request("/llms").header("Authorization", "Bearer " + KEY)
      .header("Origin", "http://localhost:" + http.port).build());
    assertEquals(403, other.statusCode(), "another origin, even on this machine, is not this server");
  }

  @Test
  void aRebindingPageThatNamesItselfInOriginAndHostIsNotSameOrigin() throws IOException {
    // DNS rebinding: the attacker's name resolves to this server, and the browser sends that name in both headers.
    String evil = "evil.example:" + http.port;
    assertEquals(403, rawStatus("GET /llms HTTP/1.1\r\nHost: " + evil + "\r\nOrigin: http://" + evil
      + "\r\nAuthorization: Bearer " + KEY + "\r\nConnection: close\r\n\r\n"));
    // The same request under this server's own name passes (the playground's case).
    String own = "localhost:" + http.port;
    assertEquals(200, rawStatus("GET /llms HTTP/1.1\r\nHost: " + own + "\r\nOrigin: http://" + own
      + "\r\nAuthorization: Bearer " + KEY + "\r\nConnection: close\r\n\r\n"));
  }

  /** The status of a request written byte for byte (java.net.http does not let a test set Host). */
  private static int rawStatus(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", http.port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(status.substring(9, 12));
    }
  }

  private static HttpResponse<String> preflight(Http http, String origin) {
    return http.send(http.request("/v1/chat/completions")
      .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
      .header("Origin", origin)
      .header("Access-Control-Request-Method", "POST")
      .header("Access-Control-Request-Headers", "authorization,content-type,x-request-timeout-ms,x-first-token-timeout-ms")
      .build());
  }

  private static Optional<String> header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name);
  }

  private static boolean listHas(String list, String item) {
    Function<String, String> norm = s -> s.trim().toLowerCase(Locale.ROOT);
    for (String s : list.split(",")) {
      if (norm.apply(s).equals(norm.apply(item))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void preflightFromAnAllowedOriginNeedsNoKey() {
    HttpResponse<String> response = preflight(http, APP);
    assertEquals(204, response.statusCode(), response.body());
    assertEquals(APP, header(response, "Access-Control-Allow-Origin").orElse(null));
    String methods = header(response, "Access-Control-Allow-Methods").orElse("");
    assertTrue(listHas(methods, "POST") && listHas(methods, "GET") && listHas(methods, "DELETE"), methods);
    String headers = header(response, "Access-Control-Allow-Headers").orElse("");
    for (String h : new String[]{"Authorization", "Content-Type", "X-Request-Timeout-Ms", "X-First-Token-Timeout-Ms"}) {
      assertTrue(listHas(headers, h), h + " in " + headers);
    }
    assertTrue(header(response, "Access-Control-Max-Age").isPresent());
    assertEquals("http://localhost:5173", header(preflight(http, "http://localhost:5173"),
      "Access-Control-Allow-Origin").orElse(null));
  }

  @Test
  void preflightFromAnotherOriginIsRefused() {
    HttpResponse<String> response = preflight(http, "https://evil.example.com");
    assertEquals(403, response.statusCode());
    assertFalse(header(response, "Access-Control-Allow-Origin").isPresent(), response.headers().toString());
    assertEquals("forbidden", Http.error(response, 403).getString("code"));
  }

  @Test
  void realRequestsCarryTheCorsHeaders() {
    Http keyed = new Http(http.port, KEY);
    HttpResponse<String> response = keyed.send(keyed.request("/v1/chat/completions")
      .POST(HttpRequest.BodyPublishers.ofString(Http.chat("Once upon a time", 2).encode()))
      .header("Content-Type", "application/json").header("Origin", APP).build());
    Http.json(response, 200);
    assertEquals(APP, header(response, "Access-Control-Allow-Origin").orElse(null));
    String exposed = header(response, "Access-Control-Expose-Headers").orElse("");
    for (String h : new String[]{"X-LLM-Served-By", "X-LLM-Queue-Wait-Ms", "Retry-After"}) {
      assertTrue(listHas(exposed, h), h + " in " + exposed);
    }
    assertEquals("default", header(response, "X-LLM-Served-By").orElse(null));
    // A page must be able to read why it was refused.
    HttpResponse<String> refused = http.send(http.request("/v1/models").header("Origin", APP).build());
    Http.error(refused, 401);
    assertEquals(APP, header(refused, "Access-Control-Allow-Origin").orElse(null));
  }

  /** Its own Vert.x: a second node in the same one would share the registry's event-bus address. */
  @Test
  void anyOriginWithStar(VertxTestContext ctx) {
    Vertx vertx = Vertx.vertx();
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("cors", new JsonObject().put("allowedOrigins", "*"));
    runOn(vertx, config, ctx, port -> {
      HttpResponse<String> response = preflight(new Http(port), "https://anywhere.example.org");
      assertEquals(204, response.statusCode());
      assertEquals("*", header(response, "Access-Control-Allow-Origin").orElse(null));
    });
  }

  @Test
  void noCorsHeadersWithoutConfig(VertxTestContext ctx) {
    Vertx vertx = Vertx.vertx();
    runOn(vertx, TestNode.config(TestNode.defaultLlms()), ctx, port -> {
      Http plain = new Http(port);
      HttpResponse<String> pre = preflight(plain, APP);
      assertFalse(pre.statusCode() == 204 || pre.statusCode() == 200, "preflight answered: " + pre.statusCode());
      HttpResponse<String> get = plain.send(plain.request("/v1/models").header("Origin", APP).build());
      Http.json(get, 200);
      for (HttpResponse<String> r : java.util.List.of(pre, get)) {
        assertTrue(r.headers().map().keySet().stream().noneMatch(h -> h.toLowerCase(Locale.ROOT).startsWith("access-control-")),
          () -> "CORS headers sent: " + r.headers());
      }
    });
  }

  private static void runOn(Vertx vertx, JsonObject config, VertxTestContext ctx, java.util.function.IntConsumer checks) {
    TestNode.deploy(vertx, config).compose(port -> vertx.executeBlocking(() -> {
      checks.accept(port);
      return null;
    })).onComplete(ar -> {
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
