package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.llamacpp.ModelCatalog.ModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;

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
   * The GGUF file a serve request's {@code path} names, checked (exists, is GGUF) before the current model is
   * touched. HuggingFace repos go through {@link HubFetcher} first, then {@link #check}.
   */
  static ModelFile forServe(ServeRequest request, Path modelsDir) throws IOException {
    if (request.getPath() == null) {
      throw LlmErrors.invalidField("path", "Pass {\"path\": \"/path/to/model.gguf\"}, or a HuggingFace model as"
        + " {\"username\": ..., \"repo\": ..., \"file\"?: ..., \"revision\"?: ...} or {\"repo\": \"username/repo[/file]\"}");
    }
    return check(resolve(request.getPath(), modelsDir), "path", modelsDir);
  }

  /** {@code path} as a model file, or a 400 on {@code param} when it is missing or not GGUF. */
  static ModelFile check(Path path, String param, Path modelsDir) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw LlmErrors.invalidField(param, "Model file not found: " + path);
    }
    if (!GgufHeader.isGguf(path)) {
      throw LlmErrors.invalidField(param, "'" + path + "' is not a GGUF file");
    }
    if (ModelCatalog.isLaterPart(path)) {
      Matcher m = ModelCatalog.SPLIT.matcher(path.getFileName().toString());
      m.matches();
      throw LlmErrors.invalidField(param, "'" + path + "' is a later part of a split model: serve its first part, "
        + ModelCatalog.partName(m, 1) + " (llama.cpp finds the others beside it)");
    }
    return ModelFile.of(path, modelsDir);
  }

  /**
   * A copy of the repo's model already in its folder (the named file, or the only GGUF model there, split parts
   * counting as one), or null. Used when the Hub cannot be reached.
   */
  static Path onDisk(HubRef ref, Path modelsDir) throws IOException {
    Path dir = ModelFetch.repoDir(modelsDir, ref);
    if (ref.file() != null) {
      Path named = ModelFetch.target(modelsDir, ref, ref.file());
      return Files.isRegularFile(named) ? named : null;
    }
    List<Path> firsts = ModelCatalog.list(dir); // (a split model by its first part)
    return firsts.size() == 1 ? firsts.get(0) : null;
  }
}
