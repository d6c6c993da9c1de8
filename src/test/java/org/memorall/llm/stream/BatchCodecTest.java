package org.memorall.llm.stream;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.LlmStream;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A stream's items reach a consumer in the same JVM uncopied, and cross the wire as JSON. */
class BatchCodecTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void itemsArriveInTheSameJvmAsTheObjectsWritten() throws Exception {
    List<JsonObject> written = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer("produce", message -> {
      StreamProducer producer = new StreamProducer(vertx, message);
      for (int i = 0; i < 3; i++) {
        JsonObject item = new JsonObject().put("n", i).put("nested", new JsonObject().put("text", "t" + i));
        written.add(item);
        producer.write(item);
      }
      producer.end();
    });
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    LlmStream<JsonObject> stream = LlmStream.open(vertx, "produce", "go", new JsonObject(), null, json -> json);
    stream.handler(received::add);
    Promise<Void> ended = Promise.promise();
    stream.endHandler(ended::complete).exceptionHandler(ended::fail);
    ended.future().await(10, TimeUnit.SECONDS);
    assertEquals(3, received.size());
    for (int i = 0; i < 3; i++) {
      assertSame(written.get(i), received.get(i), "item " + i + " was copied");
    }
  }

  @Test
  void onTheWireABatchIsItsJson() {
    BatchCodec codec = codec();
    JsonObject batch = new JsonObject().put("items", new JsonArray().add(new JsonObject().put("text", "héllo ✓")))
      .put("end", true);
    Buffer wire = Buffer.buffer("prefix");
    codec.encodeToWire(wire, batch);
    JsonObject decoded = codec.decodeFromWire("prefix".length(), wire);
    assertEquals(batch, decoded);
  }

  private BatchCodec codec() {
    BatchCodec.registerOn(vertx);
    BatchCodec.registerOn(vertx); // a second registration is a no-op, not an error
    return new BatchCodec();
  }
}
