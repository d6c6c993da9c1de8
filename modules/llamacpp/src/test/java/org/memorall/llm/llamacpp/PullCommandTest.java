package org.memorall.llm.llamacpp;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;

/** The pull command against FakeHub: a progress bar on stderr, the path on stdout, exit status 0/1. */
@ExtendWith(VertxExtension.class)
class PullCommandTest {

  static final byte[] MODEL = FakeHub.bundledModel();
  @TempDir
  Path modelsDir;
  FakeHub hub;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void startHub(Vertx vertx) throws Exception {
    byte[] first = Arrays.copyOf(MODEL, MODEL.length / 2);
    byte[] second = Arrays.copyOfRange(MODEL, MODEL.length / 2, MODEL.length);
    hub = await(new FakeHub(vertx)
      .repo("karpathy/tinyllamas", Map.of("stories260K-Q8_0.gguf", MODEL, "stories260K-Q4_K_M.gguf", MODEL))
      .repo("someone/split", Map.of("big-Q8_0-00001-of-00002.gguf", first, "big-Q8_0-00002-of-00002.gguf", second,
        "small-Q2_K-00001-of-00001.gguf", MODEL))
      .start());
  }

  @AfterEach
  void stopHub() throws Exception {
    System.clearProperty("HF_ENDPOINT");
    hub.stop();
  }

  private int pull(boolean terminal, String... args) {
    return PullCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
      new PrintStream(err, true, StandardCharsets.UTF_8), terminal);
  }

  @Test
  void pullsTheDefaultQuantisationWithAProgressBar() throws Exception {
    hub.chunkDelayMs = 20;
    System.setProperty("HF_ENDPOINT", hub.endpoint()); // as huggingface_hub reads it
    assertEquals(0, pull(false, "pull", "karpathy/tinyllamas", "--models-dir", modelsDir.toString()), err.toString());
    Path file = modelsDir.resolve("karpathy/tinyllamas/stories260K-Q4_K_M.gguf");
    assertEquals(file.toString(), out.toString(StandardCharsets.UTF_8).trim());
    assertArrayEquals(MODEL, Files.readAllBytes(file));
    String bar = err.toString(StandardCharsets.UTF_8);
    assertTrue(bar.contains("downloading [") && bar.contains("100.0% 1.1 MB / 1.1 MB"), bar);
    assertTrue(bar.contains("verifying"), bar);

    // Pulled again: already in place, nothing is downloaded.
    assertEquals(0, pull(true, "karpathy/tinyllamas/stories260K-Q4_K_M.gguf", "--models-dir", modelsDir.toString(),
      "--endpoint", hub.endpoint()));
    assertEquals(1, hub.downloads("stories260K-Q4_K_M.gguf").size());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("\r"), "a terminal gets a bar redrawn in place");
  }

  @Test
  void pullsEveryPartOfASplitModel() throws Exception {
    assertEquals(0, pull(false, "someone/split", "big-Q8_0-00002-of-00002.gguf", "--models-dir", modelsDir.toString(),
      "--endpoint", hub.endpoint()), err.toString());
    Path dir = modelsDir.resolve("someone/split");
    assertEquals(dir.resolve("big-Q8_0-00001-of-00002.gguf").toString(), out.toString(StandardCharsets.UTF_8).trim());
    assertEquals(MODEL.length / 2, Files.size(dir.resolve("big-Q8_0-00001-of-00002.gguf")));
    assertEquals(MODEL.length - MODEL.length / 2, Files.size(dir.resolve("big-Q8_0-00002-of-00002.gguf")));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("(2 parts)"), err.toString());
  }

  @Test
  void failsWithStatus1AndAReason() {
    assertEquals(1, pull(false, "karpathy/tinyllamas", "nope.gguf", "--models-dir", modelsDir.toString(),
      "--endpoint", hub.endpoint()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("GGUF files: stories260K-Q4_K_M.gguf, stories260K-Q8_0.gguf"),
      err.toString());
    assertEquals(1, pull(false, "../etc/passwd", "--models-dir", modelsDir.toString(), "--endpoint", hub.endpoint()));
    assertEquals(1, pull(false));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: pull"), err.toString());
    assertEquals(0, hub.downloads("nope.gguf").size());
  }
}
