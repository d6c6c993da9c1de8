package org.memorall.llm.llamacpp;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.ModelInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/**
 * Templates rendered by llama.cpp. Templates it cannot use abort the JVM inside java-llama.cpp, so each is first
 * tried in a child JVM: that this test class survives the broken ones is part of what it checks.
 */
@ExtendWith(VertxExtension.class)
class ChatTemplateTest {

  /** Just the message texts: renders "Once upon a time" unchanged, so the story continuation is known. */
  static final String CONTENT_ONLY = "{% for m in messages %}{{ m.content }}{% endfor %}";
  /** Parses, but fails when rendered: llama.cpp throws from C++ (measured: the JVM aborts). */
  static final String BROKEN = "{{ x.y.z() }}";

  @TempDir
  Path modelsDir;
  final List<Harness> started = new ArrayList<>();

  private Harness start(Vertx vertx, JsonObject config) throws Exception {
    Harness h = new Harness(vertx, modelsDir, config);
    await(h.start());
    started.add(h);
    return h;
  }

  @AfterEach
  void stop() throws Exception {
    for (Harness h : started) {
      await(h.call(h.provider::stop));
    }
  }

  @Test
  void aConfiguredJinjaTemplateIsRendered(Vertx vertx) throws Exception {
    Harness h = start(vertx, new JsonObject().put("chatTemplate", CONTENT_ONLY));
    ChatCompletionResponse r = h.complete(story(8));
    assertEquals(", there was a little girl", r.getContent());
    assertEquals(5, r.getUsage().getPromptTokens());
  }

  @Test
  void aTemplateNameIsPassedToLlamaCpp(Vertx vertx) throws Exception {
    Harness h = start(vertx, new JsonObject().put("chatTemplate", "chatml"));
    // "<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n" is far more than 5 tokens
    assertTrue(h.complete(story(4)).getUsage().getPromptTokens() > 20);
  }

  @Test
  void aBrokenTemplateFailsTheStartInsteadOfTheJvm(Vertx vertx) throws Exception {
    ServiceException e = failure(new Harness(vertx, modelsDir, new JsonObject().put("chatTemplate", BROKEN)).start());
    assertEquals(400, e.failureCode());
    assertEquals("chatTemplate", e.getDebugInfo().getString("param"));
    assertTrue(e.getMessage().startsWith("llama.cpp cannot use this chat template: "), e.getMessage());

    ServiceException name = failure(new Harness(vertx, modelsDir, new JsonObject().put("chatTemplate", "no-such-template")).start());
    assertEquals("chatTemplate", name.getDebugInfo().getString("param"));
    assertTrue(name.getMessage().contains("no-such-template"), name.getMessage());

    // Still alive, and still working.
    assertEquals(", there was a little girl", start(vertx, new JsonObject()).complete(story(8)).getContent());
  }

  @Test
  void theModelsOwnTemplateIsUsed(Vertx vertx) throws Exception {
    Path file = GgufFiles.withString(BundledModel.extract(modelsDir), modelsDir.resolve("templated.gguf"),
      "tokenizer.chat_template", CONTENT_ONLY);
    assertTrue(GgufHeader.read(file).hasChatTemplate());
    Harness h = start(vertx, new JsonObject().put("model", file.toString()));
    ChatCompletionRequest request = new ChatCompletionRequest().withMessage("system", "Once upon")
      .withMessage("user", " a time").setTemperature(0.0).setMaxTokens(8);
    // The system text is folded into the first user turn by llama.cpp for templates without a system role.
    assertTrue(h.complete(request).getContent().startsWith(","));
    ModelInfo info = await(h.call(h.provider::models)).getData().stream()
      .filter(m -> m.getId().equals("templated")).findFirst().orElseThrow();
    assertEquals(true, info.toJson().getBoolean("chat_template"));
  }

  @Test
  void aBrokenTemplateInTheModelFallsBackAndCanBeOverridden(Vertx vertx) throws Exception {
    Path file = GgufFiles.withString(BundledModel.extract(modelsDir), modelsDir.resolve("broken.gguf"),
      "tokenizer.chat_template", BROKEN);
    // Unlike a configured one, llama.cpp catches the failure of the model's own template and uses chatml.
    Harness own = start(vertx, new JsonObject().put("model", file.toString()));
    assertTrue(own.complete(story(4)).getUsage().getPromptTokens() > 20);

    Harness plain = start(vertx, new JsonObject().put("model", file.toString()).put("chatTemplate", "plain"));
    assertEquals(", there was a little girl", plain.complete(story(8)).getContent());
  }
}
