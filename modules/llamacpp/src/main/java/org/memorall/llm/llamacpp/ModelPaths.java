package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.llamacpp.ModelCatalog.ModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Where the model a setting or a serve request names is on disk. Blocking (file checks). */
final class ModelPaths {

  private ModelPaths() {
  }

  /** A relative path is looked up in the models directory first, then in the working directory. */
  static Path resolve(String path, Path modelsDir) {
    Path p = Path.of(path);
    if (!p.isAbsolute() && Files.exists(modelsDir.resolve(p))) {
      return modelsDir.resolve(p).normalize();
    }
    return p.toAbsolutePath().normalize();
  }

  /**
   * The GGUF file a serve request names, checked (exists, is GGUF) before the current model is touched: a
   * {@code path}, or a HuggingFace repo already on disk at {@code <modelsDir>/<username>/<repo>/}.
   */
  static ModelFile forServe(ServeRequest request, Path modelsDir) throws IOException {
    String param = "path";
    Path path;
    if (request.getPath() != null) {
      path = resolve(request.getPath(), modelsDir);
    } else if (request.getUsername() != null && request.getRepo() != null) {
      param = "repo";
      path = downloaded(request, modelsDir);
    } else {
      throw LlmErrors.invalidField("path", "Pass {\"path\": \"/path/to/model.gguf\"} (or 'username' and 'repo')");
    }
    if (!Files.isRegularFile(path)) {
      throw LlmErrors.invalidField(param, "Model file not found: " + path);
    }
    if (!GgufHeader.isGguf(path)) {
      throw LlmErrors.invalidField(param, "'" + path + "' is not a GGUF file");
    }
    return ModelFile.of(path, modelsDir);
  }

  /** The one GGUF file of a repo already downloaded; downloading itself is a later issue. */
  private static Path downloaded(ServeRequest request, Path modelsDir) throws IOException {
    Path dir = modelsDir.resolve(request.getUsername()).resolve(request.getRepo()).normalize();
    List<Path> files = dir.startsWith(modelsDir) ? ModelCatalog.list(dir) : List.of();
    if (request.getFile() != null) {
      files = files.stream().filter(p -> p.getFileName().toString().equals(request.getFile())).collect(Collectors.toList());
    }
    if (files.size() == 1) {
      return files.get(0);
    }
    if (files.size() > 1) {
      throw LlmErrors.invalidField("file", "Several GGUF files in " + dir + "; name one with 'file': "
        + files.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")));
    }
    throw LlmErrors.unsupported("Downloading from HuggingFace is not available yet; pass {\"path\": \"/path/to/model.gguf\"}");
  }
}
