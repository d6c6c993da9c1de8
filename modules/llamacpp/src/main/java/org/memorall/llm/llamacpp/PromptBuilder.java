package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.Pair;
import org.memorall.llm.api.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/** Turns chat messages into the prompt text a model continues. */
final class PromptBuilder {

  private PromptBuilder() {
  }

  /**
   * The plain template: the message texts joined by newlines. Right for base models without a chat template
   * (the bundled one), which simply continue the text.
   */
  static String plain(List<ChatMessage> messages) {
    List<String> texts = new ArrayList<>();
    for (ChatMessage m : messages) {
      texts.add(m.getContentText());
    }
    return String.join("\n", texts);
  }

  /**
   * The model's (or the configured) chat template, rendered by llama.cpp with the generation prompt appended.
   * Blocking (native call).
   */
  static String templated(LlamaModel model, List<ChatMessage> messages) {
    Conversation c = normalise(messages);
    return model.applyTemplate(new InferenceParameters("").setMessages(c.system, c.turns));
  }

  /**
   * java-llama.cpp takes one system text plus user and assistant turns. Real templates raise an exception when
   * turns do not alternate starting with a user turn, and in 4.2.0 that exception aborts the JVM: so system and
   * developer messages form the system text, tool results count as user turns, consecutive turns of one role are
   * merged, and a conversation opening with the assistant gets an empty user turn first.
   */
  static Conversation normalise(List<ChatMessage> messages) {
    List<String> system = new ArrayList<>();
    List<Pair<String, String>> turns = new ArrayList<>();
    for (ChatMessage m : messages) {
      String role = m.getRole();
      String text = m.getContentText();
      if ("system".equals(role) || "developer".equals(role)) {
        system.add(text);
        continue;
      }
      String as = "assistant".equals(role) ? "assistant" : "user";
      if (turns.isEmpty() && as.equals("assistant")) {
        turns.add(new Pair<>("user", ""));
      }
      Pair<String, String> last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
      if (last != null && last.getKey().equals(as)) {
        turns.set(turns.size() - 1, new Pair<>(as, last.getValue() + "\n\n" + text));
      } else {
        turns.add(new Pair<>(as, text));
      }
    }
    String systemText = system.isEmpty() ? null : String.join("\n\n", system);
    if (turns.isEmpty() && systemText != null) {
      // Only instructions: ask them as the user, since some templates need a user turn.
      turns.add(new Pair<>("user", systemText));
      systemText = null;
    }
    return new Conversation(systemText, turns);
  }

  record Conversation(String system, List<Pair<String, String>> turns) {
  }
}
