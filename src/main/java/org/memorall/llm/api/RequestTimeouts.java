package org.memorall.llm.api;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * One chat completion's own time limits, shortening the LLM's {@code requestTimeoutMs} (the whole request, time
 * queued included) and {@code firstTokenTimeoutMs} (from arrival to the first token; streamed requests only, as a
 * non-streamed answer arrives whole). A request can only shorten them: the LLM's config is the operator's
 * ceiling. Exceeding one ends the request with a 504 ({@code request_timeout} or {@code first_token_timeout}). Travels as event-bus headers of the stream open;
 * the gateway reads it from {@code X-Request-Timeout-Ms} and {@code X-First-Token-Timeout-Ms}.
 */
public final class RequestTimeouts {

  /** Event-bus header names. */
  public static final String REQUEST_TIMEOUT = "requestTimeoutMs";
  public static final String FIRST_TOKEN_TIMEOUT = "firstTokenTimeoutMs";
  /** A day: longer is surely a mistake. */
  public static final long MAX_MS = 86_400_000L;

  private Long requestTimeoutMs;
  private Long firstTokenTimeoutMs;

  public Long getRequestTimeoutMs() {
    return requestTimeoutMs;
  }

  public RequestTimeouts setRequestTimeoutMs(Long ms) {
    this.requestTimeoutMs = check(REQUEST_TIMEOUT, ms);
    return this;
  }

  public Long getFirstTokenTimeoutMs() {
    return firstTokenTimeoutMs;
  }

  public RequestTimeouts setFirstTokenTimeoutMs(Long ms) {
    this.firstTokenTimeoutMs = check(FIRST_TOKEN_TIMEOUT, ms);
    return this;
  }

  /** Adds the limits that are set as headers of a stream open. */
  public DeliveryOptions applyTo(DeliveryOptions options) {
    if (requestTimeoutMs != null) {
      options.addHeader(REQUEST_TIMEOUT, requestTimeoutMs.toString());
    }
    if (firstTokenTimeoutMs != null) {
      options.addHeader(FIRST_TOKEN_TIMEOUT, firstTokenTimeoutMs.toString());
    }
    return options;
  }

  /**
   * The limits in {@code headers} under the given names (HTTP or event-bus); absent ones stay unset. Throws a 400
   * naming the header when a value is not an integer from 1 to {@link #MAX_MS}.
   */
  public static RequestTimeouts fromHeaders(MultiMap headers, String requestHeader, String firstTokenHeader) {
    return new RequestTimeouts()
      .setRequestTimeoutMs(parse(headers.get(requestHeader), requestHeader))
      .setFirstTokenTimeoutMs(parse(headers.get(firstTokenHeader), firstTokenHeader));
  }

  private static Long parse(String value, String header) {
    if (value == null) {
      return null;
    }
    try {
      return check(header, Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      throw invalid(header);
    }
  }

  private static Long check(String name, Long ms) {
    if (ms != null && (ms < 1 || ms > MAX_MS)) {
      throw invalid(name);
    }
    return ms;
  }

  private static RuntimeException invalid(String name) {
    return LlmErrors.invalidField(name, "'" + name + "' must be a whole number of milliseconds from 1 to " + MAX_MS);
  }
}
