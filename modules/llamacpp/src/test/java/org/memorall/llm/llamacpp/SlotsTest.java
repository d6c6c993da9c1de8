package org.memorall.llm.llamacpp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Generations fill llama.cpp's slots from the bottom (see {@link Slots} for why). */
class SlotsTest {

  @Test
  void theLowestFreeSlotIsTakenAndNoneWhenAllAreBusy() {
    Slots slots = new Slots(3);
    assertEquals(0, slots.acquire());
    assertEquals(1, slots.acquire());
    assertEquals(2, slots.acquire());
    assertEquals(-1, slots.acquire(), "all busy: llama.cpp chooses");
    slots.release(1);
    slots.release(-1); // a generation that ran without a slot of its own
    assertEquals(1, slots.acquire());
    slots.release(0);
    slots.release(2);
    assertEquals(0, slots.acquire(), "one stream at a time stays in slot 0");
    slots.release(0);
    assertEquals(0, slots.acquire());
  }
}
