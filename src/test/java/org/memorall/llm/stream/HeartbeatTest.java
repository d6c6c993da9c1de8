package org.memorall.llm.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream with nothing to send keeps its consumer informed with empty batches every heartbeat; the streams of one
 * verticle share one timer, which stops when none is open and starts again with the next.
 */
class HeartbeatTest {

  private static final DeliveryOptions WAIT = new DeliveryOptions().setSendTimeout(10_000);

  private final Vertx vertx = Vertx.vertx();
  private final Set<Integer> cancelled = ConcurrentHashMap.newKeySet();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void idleStreamsGetHeartbeatsAndTheSharedTimerRestartsAfterAllClosed() throws Exception {
    vertx.deployVerticle(new AbstractVerticle() {
      @Override
      public void start() {
        vertx.eventBus().<JsonObject>consumer("idle", message -> {
          int id = message.body().getInteger("id");
          new StreamProducer(vertx, message).cancelHandler(() -> cancelled.add(id)); // writes nothing
        });
      }
    }).await(10, TimeUnit.SECONDS);

    long t0 = System.nanoTime();
    Future.all(heartbeatsThenCancel(1, 2), heartbeatsThenCancel(2, 2)).await(15, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms >= StreamOptions.HEARTBEAT_MS, "two heartbeats came after " + ms + " ms");
    assertEquals(Set.of(1, 2), cancelled);

    Thread.sleep(2 * StreamOptions.HEARTBEAT_MS); // no stream open: the timer stops at its next beat
    heartbeatsThenCancel(3, 1).await(15, TimeUnit.SECONDS);
    assertEquals(Set.of(1, 2, 3), cancelled);
  }

  /** Opens stream {@code id}, acknowledges {@code beats} heartbeats, then cancels by answering the next batch. */
  private Future<Void> heartbeatsThenCancel(int id, int beats) {
    Promise<Void> done = Promise.promise();
    vertx.eventBus().<JsonObject>request("idle", new JsonObject().put("id", id), WAIT)
      .onSuccess(message -> onBatch(message.body(), message, beats, done))
      .onFailure(done::tryFail);
    return done.future();
  }

  private void onBatch(JsonObject batch, Message<JsonObject> message, int beatsLeft, Promise<Void> done) {
    if (!new JsonObject().put("items", new JsonArray()).equals(batch)) {
      done.tryFail("not a heartbeat: " + batch);
      return;
    }
    if (beatsLeft == 0) {
      message.reply(new JsonObject().put("cancel", true));
      vertx.setTimer(200, t -> done.complete());
      return;
    }
    message.<JsonObject>replyAndRequest(new JsonObject(), WAIT).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
      } else {
        onBatch(ar.result().body(), ar.result(), beatsLeft - 1, done);
      }
    });
  }
}
