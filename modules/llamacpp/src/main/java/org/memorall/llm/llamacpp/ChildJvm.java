package org.memorall.llm.llamacpp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a throwaway JVM on this JVM's class path, for the java-llama.cpp calls that abort
 * the process they run in on bad input ({@link TemplateProbe}, {@link SchemaGrammar}).
 */
final class ChildJvm {

  private ChildJvm() {
  }

  /** What the child printed (stdout and stderr), or that it did not finish in time (then it was killed). */
  record Output(String text, boolean timedOut) {
  }

  /** Runs {@code main} with {@code heap} (e.g. "64m"), {@code args} and {@code stdin}. Blocking. */
  static Output run(Class<?> main, String heap, List<String> args, byte[] stdin, long timeoutS) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(args);
    // Input and output go through files, so that a child that hangs (before reading its input, or while writing)
    // cannot block this thread past the timeout. Not named "llama*": java-llama.cpp's loader deletes files with
    // that prefix from the temp directory (old native libraries).
    Path input = Files.write(Files.createTempFile("memorall-child-", ".in"), stdin);
    Path log = Files.createTempFile("memorall-child-", ".log");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(input.toFile())
        .redirectOutput(log.toFile()).start();
      try {
        if (!process.waitFor(timeoutS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return new Output(Files.readString(log, StandardCharsets.UTF_8), true);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("Interrupted while waiting for a child JVM (" + main.getSimpleName() + ")", e);
      }
      return new Output(Files.readString(log, StandardCharsets.UTF_8), false);
    } finally {
      Files.deleteIfExists(log);
      Files.deleteIfExists(input);
    }
  }

  /** Whether the child could not even start its main class (an unusable class path, e.g. inside some launchers). */
  static boolean couldNotStart(String output) {
    return output.contains("Could not find or load main class");
  }
}
