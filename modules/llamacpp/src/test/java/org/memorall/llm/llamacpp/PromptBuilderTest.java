package org.memorall.llm.llamacpp;

import de.kherud.llama.Pair;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.ChatMessage;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class PromptBuilderTest {

  @Test
  void plainJoinsTheTextsWithNewlines() {
    assertEquals("Be brief.\nOnce upon a time\nthere was", PromptBuilder.plain(List.of(
      ChatMessage.of("system", "Be brief."), ChatMessage.of("user", "Once upon a time"), ChatMessage.of("assistant", "there was"))));
    assertEquals("Once upon a time", PromptBuilder.plain(List.of(ChatMessage.of("user", "Once upon a time"))));
  }

  @Test
  void normalisesTurnsSoThatTemplatesDoNotRaise() {
    PromptBuilder.Conversation c = PromptBuilder.normalise(List.of(
      ChatMessage.of("system", "Be brief."), ChatMessage.of("assistant", "Hello!"), ChatMessage.of("developer", "Use English."),
      ChatMessage.of("user", "Hi"), ChatMessage.of("tool", "42"), ChatMessage.of("assistant", "The answer is 42.")));
    assertEquals("Be brief.\n\nUse English.", c.system());
    assertEquals(List.of(new Pair<>("user", ""), new Pair<>("assistant", "Hello!"), new Pair<>("user", "Hi\n\n42"),
      new Pair<>("assistant", "The answer is 42.")), c.turns());
  }

  @Test
  void onlyASystemMessageBecomesTheUserTurn() {
    PromptBuilder.Conversation c = PromptBuilder.normalise(List.of(ChatMessage.of("system", "Tell a story.")));
    assertNull(c.system());
    assertEquals(List.of(new Pair<>("user", "Tell a story.")), c.turns());
  }
}
