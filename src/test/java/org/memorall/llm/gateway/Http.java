package org.memorall.llm.gateway;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A blocking HTTP/1.1 client for the gateway under test, and the checks every test shares. */
final class Http {

  private final HttpClient client = HttpClient.newBuilder()
    .version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5))
    .build();
  final int port;
  /** Sent as {@code Authorization: Bearer} on every request when not null (a gateway with API keys). */
  private final String apiKey;

  Http(int port) {
    this(port, null);
  }

  Http(int port, String apiKey) {
    this.port = port;
    this.apiKey = apiKey;
  }

  HttpResponse<String> get(String path) {
    return send(request(path).GET().build());
  }

  HttpResponse<String> delete(String path) {
    return send(request(path).DELETE().build());
  }

  HttpResponse<String> post(String path, JsonObject body) {
    return post(path, body.encode());
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.Builder builder = request(path).POST(HttpRequest.BodyPublishers.ofString(body))
      .header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return send(builder.build());
  }

  CompletableFuture<HttpResponse<String>> postAsync(String path, JsonObject body) {
    HttpRequest request = request(path).POST(HttpRequest.BodyPublishers.ofString(body.encode()))
      .header("Content-Type", "application/json").build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofString());
  }

  <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
    try {
      return client.send(request, body);
    } catch (IOException e) {
      throw new AssertionError("Request to " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(30));
    return apiKey == null ? builder : builder.header("Authorization", "Bearer " + apiKey);
  }

  /** The JSON body of a response that must have {@code status}. */
  static JsonObject json(HttpResponse<String> response, int status) {
    assertEquals(status, response.statusCode(), () -> "status of " + response.uri() + ": " + response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"),
      () -> "content-type of " + response.uri());
    return new JsonObject(response.body());
  }

  /** The error object of an OpenAI error response with {@code status}: exactly message, type, param and code. */
  static JsonObject error(HttpResponse<String> response, int status) {
    JsonObject body = json(response, status);
    assertEquals(1, body.size(), () -> "only 'error' expected: " + body);
    JsonObject error = body.getJsonObject("error");
    assertEquals(4, error.size(), () -> "message, type, param, code expected: " + error);
    assertTrue(error.containsKey("param") && error.containsKey("code"), error::encode);
    assertTrue(error.getValue("message") instanceof String && !error.getString("message").isEmpty(), error::encode);
    assertTrue(error.getValue("type") instanceof String, error::encode);
    return error;
  }

  /** A chat request: greedy continuation of {@code prompt}. */
  static JsonObject chat(String prompt, int maxTokens) {
    return new JsonObject()
      .put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)))
      .put("temperature", 0)
      .put("max_tokens", maxTokens);
  }
}
