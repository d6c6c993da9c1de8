package org.memorall.llm.examples;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java examples of the README compile and do what they say. */
@ExtendWith(VertxExtension.class)
class ReadmeExampleTest {

  @Test
  void theEventBusExampleRuns(Vertx vertx) throws Exception {
    TestNode.start(vertx, new JsonObject()).await(30, TimeUnit.SECONDS);
    vertx.deployVerticle(new StoryVerticle()).await(30, TimeUnit.SECONDS);
    LlmService registry = LlmService.createProxy(vertx);
    LlmInfo info = registry.getRequired("my-local").await(10, TimeUnit.SECONDS);
    assertEquals("ready", info.getStatus());
    // After the cancel at 200 ms the stream's slot is given back.
    long deadline = System.currentTimeMillis() + 5000;
    while (registry.getRequired("my-local").await(10, TimeUnit.SECONDS).getInFlight() > 0
      && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(0, registry.getRequired("my-local").await(10, TimeUnit.SECONDS).getInFlight());
  }

  @Test
  void theMemoryExampleRunsAndIsTheOneInTheReadme(Vertx vertx) throws Exception {
    TestNode.start(vertx, new JsonObject()).await(30, TimeUnit.SECONDS);
    MemoryChatVerticle example = new MemoryChatVerticle();
    vertx.deployVerticle(example).await(60, TimeUnit.SECONDS);
    // Embeddings are deterministic: the cat's memory is the closest to the question about the cat.
    assertEquals(MemoryChatVerticle.MEMORIES.get(0), example.context.get(0));
    assertEquals(2, example.context.size());
    assertTrue(example.answer != null && !example.answer.isEmpty());

    // The README shows the class as it is here, from its imports to its last brace.
    String source = Files.readString(Path.of("src/test/java/org/memorall/llm/examples/MemoryChatVerticle.java"));
    String shown = source.substring(source.indexOf("import "), source.lastIndexOf('}') + 1)
      .replaceAll("\\n/\\*\\*.*\\*/", "");
    assertTrue(Files.readString(Path.of("README.md")).contains(shown), "README.md shows MemoryChatVerticle as it is");
  }
}
