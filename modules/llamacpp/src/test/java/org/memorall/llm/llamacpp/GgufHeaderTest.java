package org.memorall.llm.llamacpp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufHeaderTest {

  @TempDir
  Path dir;

  @Test
  void readsTheBundledModel() throws IOException {
    Path file = BundledModel.extract(dir);
    assertEquals(1_185_376, Files.size(file));
    GgufHeader h = GgufHeader.read(file);
    assertEquals(3, h.version());
    assertEquals(48, h.tensorCount());
    assertEquals(19, h.values().size());
    assertEquals("llama", h.architecture());
    assertEquals(2048L, h.contextLength());
    assertEquals(5L, h.number("llama.block_count"));
    assertEquals(64L, h.number("llama.embedding_length"));
    assertEquals("llama", h.string("tokenizer.ggml.model"));
    assertEquals(new GgufHeader.ArrayInfo(8, 512), h.values().get("tokenizer.ggml.tokens"));
    assertEquals(1L, h.bosTokenId());
    assertTrue(h.addsBos());
    assertFalse(h.hasChatTemplate());
    assertNull(h.chatTemplate());
    assertNull(h.quantization(), "the file has no general.file_type");
    assertTrue(GgufHeader.isGguf(file));
  }

  @Test
  void rejectsFilesThatAreNotGguf() throws IOException {
    Path text = Files.writeString(dir.resolve("notes.gguf"), "these are not the weights you are looking for");
    IOException e = assertThrows(IOException.class, () -> GgufHeader.read(text));
    assertTrue(e.getMessage().contains("not a GGUF file"), e.getMessage());
    assertFalse(GgufHeader.isGguf(text));
  }

  @Test
  void rejectsATruncatedHeader() throws IOException {
    byte[] full = Files.readAllBytes(BundledModel.extract(dir));
    Path cut = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, 200));
    IOException e = assertThrows(IOException.class, () -> GgufHeader.read(cut));
    assertTrue(e.getMessage().contains("ends inside its header"), e.getMessage());
  }

  @Test
  void extractsTheBundledModelOnlyWhenNeeded() throws IOException {
    Path file = BundledModel.extract(dir);
    long mtime = Files.getLastModifiedTime(file).toMillis();
    assertEquals(file, BundledModel.extract(dir));
    assertEquals(mtime, Files.getLastModifiedTime(file).toMillis(), "an intact copy is kept");
    Files.write(file, new byte[10]);
    BundledModel.extract(dir);
    assertEquals(1_185_376, Files.size(file), "a copy of the wrong size is replaced");
    try (var files = Files.list(file.getParent())) {
      assertEquals(1, files.count(), "no temp files left behind");
    }
  }
}
