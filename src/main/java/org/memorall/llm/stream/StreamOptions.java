package org.memorall.llm.stream;

/** Timing of the stream protocol. */
public final class StreamOptions {

  /** The producer sends an empty batch after this long without items, so both ends know the other is alive. */
  public static final long HEARTBEAT_MS = Long.getLong("llm.stream.heartbeatMs", 1000);
  /** Either end gives up on the other after this long without a message. */
  public static final long IDLE_TIMEOUT_MS = Long.getLong("llm.stream.idleTimeoutMs", 15000);

  private StreamOptions() {
  }
}
