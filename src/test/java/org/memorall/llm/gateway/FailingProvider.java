package org.memorall.llm.gateway;

import io.vertx.core.Future;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.ProviderContext;

/**
 * A custom provider (type "custom", config {"class": this class}) that fails on purpose. Config {@code failOn}:
 * {@code "start"} (start throws), {@code "chat"} (chatCompletions throws a RuntimeException) or {@code "error"}
 * (chatCompletions throws an Error, as a linkage problem or a failed assertion would).
 */
public final class FailingProvider extends ModellessProvider {

  static final String MESSAGE = "provider exploded on purpose";

  private String failOn = "chat";

  @Override
  public Future<Void> start(ProviderContext context) {
    failOn = context.config().getString("failOn", "chat");
    if ("start".equals(failOn)) {
      throw new IllegalStateException(MESSAGE + " (start)");
    }
    return Future.succeededFuture();
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    if ("error".equals(failOn)) {
      throw new AssertionError(MESSAGE + " (error)");
    }
    throw new IllegalStateException(MESSAGE + " (chat)");
  }
}
