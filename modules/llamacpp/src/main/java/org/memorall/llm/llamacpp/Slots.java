package org.memorall.llm.llamacpp;

/**
 * Which llama.cpp slot each generation runs in: the lowest free one. Left to itself, llama.cpp gives a new request
 * the least recently used slot, so every slot soon holds the cache of an old answer; attention then runs over all
 * those cells (masked), and a single stream slows down with the number of slots (measured, bundled model, 256
 * tokens, parallel 8: 3,800 tokens/s falling to 1,500 over six requests in a row; in the lowest free slot: 5,100-5,400
 * throughout, as with parallel 1). Filling slots from the bottom keeps the cache as small as the concurrency.
 */
final class Slots {

  private final boolean[] busy;

  Slots(int count) {
    busy = new boolean[count];
  }

  /** The lowest free slot, now busy; -1 when all are (then llama.cpp chooses). */
  synchronized int acquire() {
    for (int i = 0; i < busy.length; i++) {
      if (!busy[i]) {
        busy[i] = true;
        return i;
      }
    }
    return -1;
  }

  synchronized void release(int slot) {
    if (slot >= 0) {
      busy[slot] = false;
    }
  }
}
