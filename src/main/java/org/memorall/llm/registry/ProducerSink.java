package org.memorall.llm.registry;

import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.stream.StreamProducer;

/** A provider's {@link CompletionSink} writing to the event-bus stream of one request. */
final class ProducerSink implements CompletionSink {

  private final StreamProducer producer;

  ProducerSink(StreamProducer producer) {
    this.producer = producer;
  }

  @Override
  public void chunk(ChatCompletionChunk chunk) {
    producer.write(chunk.toJson());
  }

  @Override
  public void response(ChatCompletionResponse response) {
    producer.write(response.toJson());
    producer.end();
  }

  @Override
  public void end() {
    producer.end();
  }

  @Override
  public void fail(Throwable error) {
    producer.fail(error);
  }

  @Override
  public void onCancel(Runnable action) {
    producer.cancelHandler(action);
  }

  @Override
  public boolean isCancelled() {
    return producer.isCancelled();
  }
}
