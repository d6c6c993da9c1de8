package org.memorall.llm.examples;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.TestNode;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Java example of the README compiles and does what it says. */
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
}
