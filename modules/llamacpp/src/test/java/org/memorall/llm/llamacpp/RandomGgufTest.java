package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmarks' compute-bound model: a random-weight LLaMA that llama.cpp loads and generates with. */
class RandomGgufTest {

  @TempDir
  Path dir;

  @Test
  void writesALlamaThatLlamaCppLoadsAndGeneratesWith() throws Exception {
    RandomGguf.Dims dims = RandomGguf.Dims.BENCHMARK;
    Path file = RandomGguf.write(dir.resolve("random.gguf"), dims, 42);

    long parameters = dims.parameters(512);
    assertTrue(parameters > 30_000_000 && parameters < 60_000_000, parameters + " parameters");
    // F16 weights: two bytes each, plus the header and the F32 norms.
    long size = Files.size(file);
    assertTrue(size > 2 * parameters && size < 2 * parameters + 1_000_000, size + " bytes");

    GgufHeader header = GgufHeader.read(file);
    assertEquals("llama", header.architecture());
    assertEquals("F16", header.quantization());
    assertEquals((long) dims.layers(), header.number("llama.block_count"));
    assertEquals((long) dims.embedding(), header.number("llama.embedding_length"));
    assertEquals(3 + 9L * dims.layers(), header.tensorCount());
    assertEquals(new GgufHeader.ArrayInfo(8, 512), header.values().get("tokenizer.ggml.tokens"));

    ModelParameters params = new ModelParameters().setModel(file.toString()).setThreads(1).setCtxSize(512)
      .disableLog();
    try (LlamaModel llama = new LlamaModel(params)) {
      int tokens = 48;
      InferenceParameters ip = new InferenceParameters("Once upon a time").setNPredict(tokens).setTemperature(0f)
        .setIgnoreEos(true);
      long t0 = System.nanoTime();
      int outputs = 0;
      for (LlamaOutput ignored : llama.generate(ip)) {
        outputs++;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      // The iterator's last output only marks the end.
      assertEquals(tokens + 1, outputs);
      try (LlamaModel bundled = new LlamaModel(new ModelParameters().setModel(BundledModel.extract(dir).toString())
        .setThreads(1).setCtxSize(512).disableLog())) {
        assertArrayEquals(bundled.encode("Once upon a time"), llama.encode("Once upon a time"), "same vocabulary");
      }
      System.out.printf("random LLaMA, %d parameters: %d tokens in %.2f s (%.0f tokens/s, 1 thread)%n",
        parameters, tokens, seconds, tokens / seconds);
    }
  }
}
