package org.memorall.llm.stream;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * The event-bus codec of a stream's batches ({@link StreamProducer} to {@code LlmStream}): JSON on the wire like
 * Vert.x's own JsonObject codec, but delivered in the same JVM without the deep copy Vert.x makes of every
 * JsonObject, since a batch and its items belong to the stream once written (the producer keeps no reference and
 * the consumer is the only reader). Saves one copy of every token per hop.
 */
public final class BatchCodec implements MessageCodec<JsonObject, JsonObject> {

  public static final String NAME = "llm-stream-batch";
  private static final Map<EventBus, Boolean> REGISTERED = new WeakHashMap<>();

  BatchCodec() {
  }

  /** Registers the codec on {@code vertx}'s event bus unless it is already: both ends of a stream need it. */
  public static void registerOn(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    synchronized (REGISTERED) {
      if (REGISTERED.putIfAbsent(bus, Boolean.TRUE) == null) {
        bus.registerCodec(new BatchCodec());
      }
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonObject batch) {
    Buffer encoded = batch.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  @Override
  public JsonObject transform(JsonObject batch) {
    return batch;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
