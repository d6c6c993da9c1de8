package org.memorall.llm.gateway;

import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatMessage;
import org.memorall.llm.api.LlmErrors;

import java.util.List;

/**
 * Bounds on one chat completion beyond the body size: how many messages and how many characters of content in all.
 * They keep one client from making the engine read a huge prompt (or an upstream bill for it); 400 naming
 * {@code messages}.
 */
final class RequestLimits {

  private final int maxMessages;
  private final int maxChars;

  RequestLimits(int maxMessages, int maxChars) {
    this.maxMessages = maxMessages;
    this.maxChars = maxChars;
  }

  /** Throws a 400 ServiceException when {@code request} (already validated) is over a limit. */
  void check(ChatCompletionRequest request) {
    List<ChatMessage> messages = request.getMessages();
    if (messages.size() > maxMessages) {
      throw LlmErrors.of(400, "invalid_request_error", "messages", "too_many_messages", "'messages' has "
        + messages.size() + " messages; at most " + maxMessages + " are allowed (limits.maxMessages)");
    }
    long chars = 0;
    for (ChatMessage message : messages) {
      chars += message.getContentText().length();
    }
    if (chars > maxChars) {
      throw LlmErrors.of(400, "invalid_request_error", "messages", "messages_too_long", "'messages' hold "
        + chars + " characters of content; at most " + maxChars + " are allowed (limits.maxChars)");
    }
  }
}
