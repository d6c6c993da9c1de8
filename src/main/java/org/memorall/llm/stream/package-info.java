/**
 * Streams over the event bus, local or clustered.
 * <p>
 * Protocol: the consumer opens a stream with a request ({@code eventBus.request(address, body)}) whose
 * {@code action} header names what to do. The producer answers with <em>batches</em>, each a reply to the
 * consumer's previous message: {@code {"items":[...]}}. The consumer acknowledges each batch by replying to it
 * ({@code {}}), which is the producer's channel for the next batch; so only reply addresses are used, nothing is
 * registered cluster-wide per stream, and items arrive in order. The last batch carries {@code "end": true} or
 * {@code "error": {...}} and is not acknowledged. To cancel, the consumer answers a batch with
 * {@code {"cancel": true}}. While it has nothing to send the producer sends an empty batch every heartbeat, so a
 * consumer notices a dead producer by its idle timeout, and a producer notices a vanished consumer because its
 * batch is not acknowledged in time (or has no handler): it then cancels the work.
 */
package org.memorall.llm.stream;
