package org.memorall.llm.llamacpp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tiny model shipped inside the jar (see resources/models/README.md). llama.cpp loads from a file path, so
 * it is copied to {@code <modelsDir>/bundled/} when missing or of the wrong size.
 */
final class BundledModel {

  static final String ID = "stories260K";
  static final String FILE = ID + ".gguf";
  private static final String RESOURCE = "models/" + FILE;

  private BundledModel() {
  }

  static Path path(Path modelsDir) {
    return modelsDir.resolve("bundled").resolve(FILE);
  }

  /** Extracts the model if needed and returns its path. Blocking. */
  static Path extract(Path modelsDir) throws IOException {
    Path target = path(modelsDir);
    URL url = resource();
    URLConnection connection = url.openConnection();
    long size = connection.getContentLengthLong();
    if (Files.isRegularFile(target) && (size < 0 || Files.size(target) == size)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    // A temp file in the same directory, then an atomic rename: a reader never sees half a model.
    Path tmp = Files.createTempFile(target.getParent(), "." + FILE + ".", ".part");
    try (InputStream in = connection.getInputStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  private static URL resource() {
    URL url = BundledModel.class.getClassLoader().getResource(RESOURCE);
    if (url == null) {
      throw new UncheckedIOException(new IOException("The bundled model " + RESOURCE + " is missing from the class path"));
    }
    return url;
  }
}
