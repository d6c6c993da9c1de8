package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ModelInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The GGUF files a provider knows: their ids, and their descriptions from the file header. Blocking. */
final class ModelCatalog {

  private static final int MAX_DEPTH = 6;
  /** The name of one part of a split model: base, part number, number of parts, extension (as written). */
  static final Pattern SPLIT = Pattern.compile("(?i)(.*)-(\\d{5})-of-(\\d{5})(\\.gguf)");
  /** Headers by path, valid while size and mtime stay the same: a big model's header is megabytes of vocabulary. */
  private static final Map<Path, Cached> HEADERS = new ConcurrentHashMap<>();

  private ModelCatalog() {
  }

  /** A model file: its id (the file name without .gguf) and path. */
  record ModelFile(String id, Path path, boolean bundled) {
    static ModelFile of(Path path, Path modelsDir) {
      Path abs = path.toAbsolutePath().normalize();
      return new ModelFile(idOf(abs), abs, abs.equals(BundledModel.path(modelsDir).toAbsolutePath().normalize()));
    }

    /**
     * True when {@code ref} names this file: its id, its path, its path relative to the models directory, or the
     * HuggingFace repo it was downloaded from ("username/repo", its folder in the models directory).
     */
    boolean matches(String ref, Path modelsDir) {
      if (ref == null) {
        return false;
      }
      if (ref.equals(id) || ref.equals(path.toString())) {
        return true;
      }
      Path dir = modelsDir.toAbsolutePath().normalize();
      if (!path.startsWith(dir)) {
        return false;
      }
      Path relative = dir.relativize(path);
      return ref.equals(relative.toString()) || relative.getNameCount() >= 3 && ref.equals(relative.subpath(0, 2).toString());
    }
  }

  static String idOf(Path path) {
    String name = path.getFileName().toString();
    return name.toLowerCase(Locale.ROOT).endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
  }

  /**
   * Every model under {@code modelsDir}: its *.gguf files, a split model by its first part only; sorted by path;
   * none when the directory does not exist.
   */
  static List<Path> list(Path modelsDir) throws IOException {
    if (!Files.isDirectory(modelsDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.find(modelsDir, MAX_DEPTH, ModelCatalog::isModelFile)) {
      return files.map(p -> p.toAbsolutePath().normalize()).filter(p -> !isLaterPart(p)).sorted()
        .collect(Collectors.toList());
    }
  }

  /** A part of a split model other than its first ({@code name-00002-of-00003.gguf}): llama.cpp loads it with the first. */
  static boolean isLaterPart(Path p) {
    Matcher m = SPLIT.matcher(p.getFileName().toString());
    return m.matches() && Integer.parseInt(m.group(2)) != 1;
  }

  /**
   * The files that make up the model at {@code path}, each with what a download leaves beside it (its SHA-256 note,
   * a partial download): for a split model's first part, every part. Blocking.
   */
  static List<Path> filesOf(Path path) {
    List<Path> files = new ArrayList<>();
    files.add(path);
    Matcher m = SPLIT.matcher(path.getFileName().toString());
    if (m.matches() && Integer.parseInt(m.group(2)) == 1) {
      int count = Integer.parseInt(m.group(3));
      for (int i = 2; i <= count; i++) {
        files.add(path.resolveSibling(partName(m, i)));
      }
    }
    List<Path> all = new ArrayList<>();
    for (Path f : files) {
      all.add(f);
      all.add(HubDownload.shaNote(f));
      all.add(f.resolveSibling(f.getFileName() + HubDownload.PART_SUFFIX));
    }
    return all;
  }

  /** The file name of part {@code part} of the split model whose part {@code split} (a matched {@link #SPLIT}) names. */
  static String partName(Matcher split, int part) {
    return String.format("%s-%05d-of-%s%s", split.group(1), part, split.group(3), split.group(4));
  }

  private static boolean isModelFile(Path p, BasicFileAttributes attrs) {
    String name = p.getFileName().toString();
    return attrs.isRegularFile() && !name.startsWith(".") && name.toLowerCase(Locale.ROOT).endsWith(".gguf");
  }

  /**
   * The file named by {@code ref} among {@code files}, or null; a 400 naming the candidates when it names several
   * (the same file name in two repos, or a repo with several models).
   */
  static ModelFile find(List<Path> files, String ref, Path modelsDir) {
    List<ModelFile> found = files.stream().map(p -> ModelFile.of(p, modelsDir)).filter(f -> f.matches(ref, modelsDir))
      .collect(Collectors.toList());
    if (found.size() > 1) {
      Path dir = modelsDir.toAbsolutePath().normalize();
      String names = found.stream().map(f -> f.path().startsWith(dir) ? dir.relativize(f.path()) : f.path())
        .map(Path::toString).collect(Collectors.joining(", "));
      throw LlmErrors.of(400, "invalid_request_error", "model", "ambiguous_model", "Model '" + ref + "' names "
        + found.size() + " files: " + names + "; name one by its path in the models directory (with '/' sent as %2F)");
    }
    return found.isEmpty() ? null : found.get(0);
  }

  /** The OpenAI-style description of a model file, with what its header says. */
  static ModelInfo info(Path path, boolean loaded) {
    ModelInfo info = ModelInfo.of(idOf(path), "local").put("loaded", loaded).put("path", path.toString());
    try {
      info.put("size_bytes", Files.size(path));
      GgufHeader h = header(path);
      putIfSet(info, "architecture", h.architecture());
      putIfSet(info, "context_length", h.contextLength());
      putIfSet(info, "quantization", h.quantization());
      info.put("chat_template", h.hasChatTemplate());
    } catch (IOException e) {
      info.put("error", e.getMessage());
    }
    return info;
  }

  static GgufHeader header(Path path) throws IOException {
    long size = Files.size(path);
    long mtime = Files.getLastModifiedTime(path).toMillis();
    Cached c = HEADERS.get(path);
    if (c != null && c.size == size && c.mtime == mtime) {
      return c.header;
    }
    GgufHeader h = GgufHeader.read(path);
    HEADERS.put(path, new Cached(size, mtime, h));
    return h;
  }

  private static void putIfSet(ModelInfo info, String key, Object value) {
    if (value != null) {
      info.put(key, value);
    }
  }

  private record Cached(long size, long mtime, GgufHeader header) {
  }
}
