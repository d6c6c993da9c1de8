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
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The playground's files over HTTP, on a gateway with API keys: the page and its two files load without a key,
 * with their content types and the page's security headers; nothing else becomes open through them.
 */
@ExtendWith(VertxExtension.class)
class PlaygroundRoutesTest {

  private static final String KEY = "sk-playground-routes";
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject config = TestNode.config(TestNode.defaultLlms())
      .put("auth", new JsonObject().put("apiKeys", new JsonArray().add(KEY)));
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void thePageAndItsFilesLoadWithoutAKey() {
    HttpResponse<String> page = http.get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    assertTrue(page.body().contains("<title>llm-runtime playground</title>"), page.body());
    String csp = page.headers().firstValue("content-security-policy").orElse("");
    assertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
    assertEquals("nosniff", page.headers().firstValue("x-content-type-options").orElse(null));

    HttpResponse<String> script = http.get("/playground/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("content-type").orElse("").contains("javascript"));
    assertTrue(script.body().contains("/v1/chat/completions"));
    assertEquals("nosniff", script.headers().firstValue("x-content-type-options").orElse(null));
    HttpResponse<String> style = http.get("/playground/style.css");
    assertEquals(200, style.statusCode());
    assertTrue(style.headers().firstValue("content-type").orElse("").startsWith("text/css"));
  }

  @Test
  void theApiStillNeedsTheKey() throws IOException {
    Http.error(http.get("/llms"), 401);
    assertEquals(200, new Http(http.port, KEY).get("/llms").statusCode());
    // Only the exact paths are open: not other files, not a path that normalizes to an API route.
    Http.error(http.get("/playground/index.html"), 401);
    assertEquals(401, rawStatus("/playground/../llms"));
    assertEquals(401, rawStatus("/playground/app.js/../../llms"));
    Http.error(new Http(http.port, KEY).get("/playground/nothing.js"), 404);
  }

  @Test
  void aHeadOfThePageIsAnsweredWithoutABody() throws IOException {
    String response = raw("HEAD", "/");
    assertEquals("200", response.substring(9, 12), response);
    int pageBytes = http.get("/").body().getBytes(StandardCharsets.UTF_8).length;
    assertTrue(response.toLowerCase().contains("content-length: " + pageBytes + "\r\n"), "the page's length: " + response);
    assertTrue(response.endsWith("\r\n\r\n"), "no body after the headers: " + response);
  }

  /** The status of a GET of {@code path} sent exactly as written (an HTTP client would normalize it). */
  private static int rawStatus(String path) throws IOException {
    return Integer.parseInt(raw("GET", path).substring(9, 12));
  }

  /** The whole response to {@code method path}, sent exactly as written, on a connection closed after it. */
  private static String raw(String method, String path) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", http.port)) {
      socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
