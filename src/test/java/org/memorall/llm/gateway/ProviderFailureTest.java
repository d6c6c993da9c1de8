package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.TestNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Providers forced to fail (a corrupt model file, a custom provider that throws) while the other LLMs keep
 * serving: the failure is a clear OpenAI error (never a 500, never a hang) and leaves no broken entry behind.
 */
@ExtendWith(VertxExtension.class)
class ProviderFailureTest {

  private static final String CHAT = "/v1/chat/completions";
  private static Http http;

  @TempDir
  static Path files;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @Test
  void aCorruptModelFileFailsItsCreateAndLeavesNoEntry() throws IOException {
    byte[] model;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      model = in.readAllBytes();
    }
    // Its header is intact but the tensors end early: only llama.cpp notices.
    Path truncated = Files.write(files.resolve("truncated.gguf"), Arrays.copyOf(model, model.length / 2));
    // The GGUF magic, then garbage: the header check notices.
    byte[] junk = new byte[4096];
    new Random(5).nextBytes(junk);
    System.arraycopy("GGUF".getBytes(), 0, junk, 0, 4);
    Path garbage = Files.write(files.resolve("garbage.gguf"), junk);

    for (Path file : List.of(truncated, garbage)) {
      String name = "broken-" + file.getFileName().toString().replace(".gguf", "");
      CompletableFuture<HttpResponse<String>> others = http.postAsync(CHAT, Http.chat("Once upon a time", 16));
      HttpResponse<String> created = http.post("/llms", new JsonObject().put("name", name).put("type", "llamacpp")
        .put("config", new JsonObject().put("model", file.toString()).put("parallel", 1)));
      JsonObject error = Http.error(created, created.statusCode());
      assertTrue(created.statusCode() == 400 || created.statusCode() == 422 || created.statusCode() == 503,
        () -> "a corrupt model is a 400/422 (or 503), not " + created.statusCode() + ": " + created.body());
      assertTrue(error.getString("message").contains(file.toString()), error::encode);
      assertFalse(error.getString("message").contains("\tat "), error::encode);

      Http.error(http.get("/llms/" + name), 404);
      assertFalse(http.get("/llms").body().contains(name));
      // Meanwhile, and afterwards, the default LLM serves.
      assertServes(join(others));
      assertServes(http.post(CHAT, Http.chat("Once upon a time", 8)));
      // The name is free again.
      Http.json(http.post("/llms", new JsonObject().put("name", name).put("type", "llamacpp")
        .put("config", new JsonObject().put("parallel", 1))), 201);
      Http.json(http.delete("/llms/" + name), 200);
    }
  }

  @Test
  void servingACorruptModelIs400AndTheLlmKeepsItsModel() throws IOException {
    byte[] model;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      model = in.readAllBytes();
    }
    Path truncated = Files.write(files.resolve("cut.gguf"), Arrays.copyOf(model, model.length / 3));
    Http.json(http.post("/llms", new JsonObject().put("name", "reloads").put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1))), 201);
    try {
      JsonObject error = Http.error(http.post("/llms/reloads/serve", new JsonObject().put("path", truncated.toString())), 400);
      assertEquals("model", error.getString("param"), error::encode);
      assertTrue(error.getString("message").contains(truncated.toString()), error::encode);
      // The next request loads the model it had before.
      assertServes(http.post("/llms/reloads/v1/chat/completions", Http.chat("Once upon a time", 8)));
      assertServes(http.post(CHAT, Http.chat("Once upon a time", 8)));
    } finally {
      http.delete("/llms/reloads");
    }
  }

  @Test
  void aCustomProviderThatFailsToStartIsAClearError() {
    HttpResponse<String> created = http.post("/llms", custom("no-start", "start"));
    JsonObject error = Http.error(created, created.statusCode());
    assertNotEquals(500, created.statusCode(), created::body);
    assertTrue(created.statusCode() >= 400 && created.statusCode() < 600, created::body);
    assertTrue(error.getString("message").contains(FailingProvider.MESSAGE), error::encode);
    Http.error(http.get("/llms/no-start"), 404);
    assertServes(http.post(CHAT, Http.chat("Once upon a time", 8)));
  }

  @Test
  void aCustomProviderThatThrowsFailsItsRequestsOnly() throws Exception {
    for (String mode : List.of("chat", "error")) {
      String name = "thrower-" + mode;
      Http.json(http.post("/llms", custom(name, mode).put("config", custom(name, mode).getJsonObject("config")
        .put("retry", new JsonObject().put("maxAttempts", 1)))), 201);
      try {
        List<CompletableFuture<HttpResponse<String>>> failing = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> serving = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          failing.add(http.postAsync("/llms/" + name + "/v1/chat/completions", Http.chat("Hi", 8)));
          failing.add(http.postAsync("/llms/" + name + "/v1/chat/completions", Http.chat("Hi", 8).put("stream", true)));
          serving.add(http.postAsync(CHAT, Http.chat("Once upon a time", 8).put("stream", i % 2 == 0)));
        }
        for (CompletableFuture<HttpResponse<String>> f : failing) {
          HttpResponse<String> response = join(f);
          // An error before any token: a plain HTTP error with the OpenAI body, also for a streaming request.
          JsonObject error = Http.error(response, response.statusCode());
          assertTrue(response.statusCode() >= 500 && response.statusCode() < 600, response::body);
          assertTrue(error.getString("message").contains(FailingProvider.MESSAGE)
            || error.getString("message").contains(name), error::encode);
          assertFalse(error.getString("message").contains("\tat "), error::encode);
        }
        for (CompletableFuture<HttpResponse<String>> f : serving) {
          assertServes(join(f));
        }
        JsonObject info = Http.json(http.get("/llms/" + name), 200);
        assertEquals(0, info.getInteger("inFlight"), info::encode);
        assertEquals(0, info.getInteger("queued"), info::encode);
      } finally {
        http.delete("/llms/" + name);
      }
    }
  }

  private static JsonObject custom(String name, String failOn) {
    return new JsonObject().put("name", name).put("type", "custom")
      .put("config", new JsonObject().put("class", FailingProvider.class.getName()).put("failOn", failOn));
  }

  private static void assertServes(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response::body);
    if (response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream")) {
      assertTrue(Sse.events(response.body()).size() > 1, response::body);
    } else {
      assertEquals("chat.completion", new JsonObject(response.body()).getString("object"), response::body);
    }
  }

  private static HttpResponse<String> join(CompletableFuture<HttpResponse<String>> f) {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer within 30 s: " + e, e);
    }
  }
}
