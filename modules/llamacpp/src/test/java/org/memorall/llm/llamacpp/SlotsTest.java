package org.memorall.llm.llamacpp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How generations are placed in llama.cpp's slots (see {@link Slots} for why). */
class SlotsTest {

  @Test
  void theLowestFreeSlotIsTakenAndNoneWhenAllAreBusy() {
    Slots slots = new Slots(3);
    assertEquals(0, slots.acquire("a"));
    assertEquals(1, slots.acquire("b"));
    assertEquals(2, slots.acquire("c"));
    assertEquals(-1, slots.acquire("d"), "all busy: llama.cpp chooses");
    slots.release(1);
    slots.release(-1); // a generation that ran without a slot of its own
    assertEquals(1, slots.acquire("e"));
    slots.release(0);
    slots.release(2);
    assertEquals(0, slots.acquire("f"), "one stream at a time stays in slot 0");
    slots.release(0);
    assertEquals(0, slots.acquire("g"));
  }

  @Test
  void aConversationsNextTurnGoesToTheSlotThatHasItsEarlierTurnsCached() {
    Slots slots = new Slots(3);
    String first = "<|system|>Be brief.<|user|>Tell me about cats.<|assistant|>";
    String other = "<|system|>You are a pirate.<|user|>Hello there, sailor of the seas!<|assistant|>";
    assertEquals(0, slots.acquire(first));
    assertEquals(1, slots.acquire(other));
    slots.release(0);
    slots.release(1);
    assertEquals(1, slots.acquire(other + "Arr!<|user|>Where is the treasure?<|assistant|>"), "its own cache");
    assertEquals(0, slots.acquire(first + "Cats purr.<|user|>And dogs?<|assistant|>"), "its own cache");
    slots.release(0);
    slots.release(1);
    assertEquals(0, slots.acquire("<|user|>Something new<|assistant|>"), "nothing cached: the lowest free slot");
    assertEquals(1, slots.acquire(other + "Arr!<|user|>Where is the treasure?<|assistant|>More?"),
      "slot 0 is busy; slot 1 has the turns");
  }
}
