package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model is created on a thread of its own, which has ended when the load returns; a failed load reaches the caller. */
class LlamaLoaderTest {

  @TempDir
  Path dir;

  @Test
  void theLoadingThreadHasEndedAndTheModelGenerates() throws Exception {
    Path file = Files.write(dir.resolve("model.gguf"), FakeHub.bundledModel());
    try (LlamaModel model = LlamaLoader.load(params(file), "loader-test")) {
      assertFalse(loaderThreadAlive(), "the loading thread still runs");
      String text = model.complete(new InferenceParameters("Once upon a time").setNPredict(8).setTemperature(0f));
      assertFalse(text.isBlank());
    }
  }

  @Test
  void aFailedLoadIsThrownToTheCaller() throws Exception {
    byte[] model = FakeHub.bundledModel();
    Path file = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(model, model.length / 2));
    RuntimeException e = assertThrows(RuntimeException.class, () -> LlamaLoader.load(params(file), "loader-test"));
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "no message: " + e);
    assertFalse(loaderThreadAlive());
  }

  private static ModelParameters params(Path file) {
    // Two compute threads: the case the own thread is for (README "The engine's limit").
    return new ModelParameters().setModel(file.toString()).setThreads(2).setCtxSize(256).disableLog();
  }

  private static boolean loaderThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("llm-load-loader-test"));
  }
}
