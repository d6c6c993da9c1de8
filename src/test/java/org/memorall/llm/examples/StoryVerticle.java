package org.memorall.llm.examples;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.*;

/** The README's event-bus example, word for word (ReadmeExampleTest runs it). */
public class StoryVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    LlmClient llm = LlmClient.create(vertx);
    LlmService registry = llm.service();

    // The spec's methods, as futures
    return registry.create("my-local", "llamacpp", new JsonObject().put("parallel", 2))
      .compose(info -> registry.chatCompletionsFor("my-local",
        new ChatCompletionRequest().withMessage("user", "Once upon a time").setMaxTokens(32)))
      .onSuccess(response -> System.out.println(response.getContent()))
      .onSuccess(v -> {
        // Streaming: chunks in order, then exactly one of endHandler / exceptionHandler
        LlmStream<ChatCompletionChunk> stream = llm.streamChatCompletions("my-local",
          new ChatCompletionRequest().withMessage("user", "Tell me a story"));
        stream.handler(chunk -> System.out.print(chunk.getContent() == null ? "" : chunk.getContent()))
          .exceptionHandler(err -> System.err.println("failed: " + err.getMessage()))
          .endHandler(end -> System.out.println());
        vertx.setTimer(200, id -> stream.cancel()); // stops the generation and frees the slot
      });
  }
}
