package org.memorall.llm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import org.memorall.llm.api.ChatMessage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Checks in a child JVM that llama.cpp can render a chat template. java-llama.cpp 4.2.0 does not catch the C++
 * exception of a template it cannot use (an unknown name, or Jinja that fails to render): it aborts the whole
 * JVM, and with it every LLM of the node. So a template is tried once in a throwaway process first.
 */
final class TemplateProbe {

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");
  private static final String OK = "TEMPLATE-PROBE-OK";
  private static final long TIMEOUT_S = 120;
  /** Verdicts by model file (path, size, mtime) and template: a file is probed once per JVM. */
  private static final Map<String, String> VERDICTS = new ConcurrentHashMap<>();

  private TemplateProbe() {
  }

  /** The conversation the probe renders: a system text and alternating turns, as requests are normalised to. */
  static List<ChatMessage> sample() {
    return List.of(ChatMessage.of("system", "You are a helpful assistant."), ChatMessage.of("user", "Hello"),
      ChatMessage.of("assistant", "Hi! How can I help?"), ChatMessage.of("user", "Tell me a story."));
  }

  /**
   * Returns null when llama.cpp can use {@code template} with {@code model}, else what
   * llama.cpp said. Blocking: starts a JVM and loads the model in it (about a second for a small model).
   */
  static String check(Path model, String template, boolean jinja) throws IOException {
    String key = model.toAbsolutePath() + "|" + Files.size(model) + "|" + Files.getLastModifiedTime(model).toMillis()
      + "|" + jinja + "|" + template;
    String cached = VERDICTS.get(key);
    if (cached != null) {
      return cached.isEmpty() ? null : cached;
    }
    String verdict = run(model, template, jinja);
    if (verdict != null) {
      VERDICTS.put(key, verdict.equals(OK) ? "" : verdict);
    }
    return verdict == null || verdict.equals(OK) ? null : verdict;
  }

  /** OK, an error message, or null when the probe itself could not run (then the check is skipped). */
  private static String run(Path model, String template, boolean jinja) throws IOException {
    ChildJvm.Output child = ChildJvm.run(TemplateProbe.class, "64m",
      List.of(model.toString(), String.valueOf(jinja), String.valueOf(template != null)),
      template == null ? new byte[0] : template.getBytes(StandardCharsets.UTF_8), TIMEOUT_S);
    if (child.timedOut()) {
      return "llama.cpp did not finish checking the chat template within " + TIMEOUT_S + " s";
    }
    String output = child.text();
    if (output.contains(OK)) {
      return OK;
    }
    if (ChildJvm.couldNotStart(output)) {
      LOG.warning("Cannot start a JVM to check the chat template (class path not usable); loading without the check");
      return null;
    }
    LOG.log(Level.FINE, "Chat template probe output:\n{0}", output);
    return explain(output);
  }

  /** The "what():" line of the C++ exception, else the last lines of the output. */
  private static String explain(String output) {
    String[] lines = output.split("\n");
    for (int i = 0; i < lines.length; i++) {
      int at = lines[i].indexOf("what():");
      if (at >= 0) {
        StringBuilder msg = new StringBuilder(lines[i].substring(at + 7).trim());
        for (int j = i + 1; j < Math.min(lines.length, i + 3); j++) {
          msg.append(' ').append(lines[j].trim());
        }
        return abbreviate(msg.toString());
      }
    }
    return abbreviate(output.trim().isEmpty() ? "the check process ended without output" : output.trim());
  }

  private static String abbreviate(String s) {
    return s.length() <= 400 ? s : s.substring(0, 400) + "...";
  }

  /** The child: args are the model path, whether to enable Jinja, whether a template follows on stdin. */
  public static void main(String[] args) throws IOException {
    ModelParameters params = new ModelParameters().setModel(args[0]).setCtxSize(256).setParallel(1).setThreads(1)
      .disableLog().skipWarmup();
    if (Boolean.parseBoolean(args[2])) {
      params.setChatTemplate(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
    }
    if (Boolean.parseBoolean(args[1])) {
      params.enableJinja();
    }
    LlamaModel model = new LlamaModel(params);
    PromptBuilder.templated(model, sample());
    System.out.println(OK);
    System.out.flush();
    // No close(): the process ends here, and a closed model may leave a native thread that keeps the JVM alive.
    Runtime.getRuntime().halt(0);
  }
}
