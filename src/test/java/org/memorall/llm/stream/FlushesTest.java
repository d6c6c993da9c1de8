package org.memorall.llm.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.LlmStream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streams of one verticle written from another thread at the same time (as a model's decode step writes a token to
 * each) share one flush task: every consumer still gets all its items, in order, and the end.
 */
class FlushesTest {

  private static final int STREAMS = 8;
  private static final int ITEMS = 500;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void itemsWrittenToManyStreamsAtOnceAllArriveInOrder() throws Exception {
    Map<Integer, StreamProducer> producers = new ConcurrentHashMap<>();
    CountDownLatch opened = new CountDownLatch(STREAMS);
    vertx.deployVerticle(new AbstractVerticle() {
      @Override
      public void start() {
        vertx.eventBus().<JsonObject>consumer("many", message -> {
          producers.put(message.body().getInteger("id"), new StreamProducer(vertx, message));
          opened.countDown();
        });
      }
    }).await(10, TimeUnit.SECONDS);

    List<Future<List<Integer>>> received = new ArrayList<>();
    for (int id = 0; id < STREAMS; id++) {
      Promise<List<Integer>> done = Promise.promise();
      List<Integer> items = new ArrayList<>();
      LlmStream<JsonObject> stream = LlmStream.open(vertx, "many", "open", new JsonObject().put("id", id), null, j -> j);
      stream.handler(item -> items.add(item.getInteger("n"))).endHandler(v -> done.complete(items))
        .exceptionHandler(done::fail);
      received.add(done.future());
    }
    assertTrue(opened.await(10, TimeUnit.SECONDS));

    Thread writer = new Thread(() -> { // like a model's token reader: item n to every stream, then n + 1
      for (int n = 0; n < ITEMS; n++) {
        for (int id = 0; id < STREAMS; id++) {
          producers.get(id).write(new JsonObject().put("n", n));
        }
      }
      producers.values().forEach(StreamProducer::end);
    });
    writer.start();

    for (int id = 0; id < STREAMS; id++) {
      List<Integer> items = received.get(id).await(20, TimeUnit.SECONDS);
      assertEquals(ITEMS, items.size(), "stream " + id);
      for (int n = 0; n < ITEMS; n++) {
        assertEquals(n, items.get(n), "stream " + id + " item " + n);
      }
    }
  }
}
