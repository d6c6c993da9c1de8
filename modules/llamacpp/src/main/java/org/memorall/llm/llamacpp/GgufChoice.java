package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which GGUF files of a repo make the model to serve: the file named, else the Q4_K_M quantisation (the usual
 * size/quality trade-off), else the smallest. A split model ({@code name-00001-of-00003.gguf}) is all its parts,
 * first part first: llama.cpp is given the first and finds the others beside it.
 */
final class GgufChoice {

  private static final Pattern SPLIT = ModelCatalog.SPLIT;

  private GgufChoice() {
  }

  /** The parts of the chosen model; a 404 naming the repo's GGUF models when there is no such file or none at all. */
  static List<HubFile> pick(HubRef ref, List<HubFile> files) {
    Map<String, List<HubFile>> models = models(files);
    if (ref.file() != null) {
      for (List<HubFile> parts : models.values()) {
        if (parts.stream().anyMatch(f -> f.name().equals(ref.file()))) {
          return parts;
        }
      }
      throw notFound("File '" + ref.file() + "' is not a GGUF file of '" + ref.id() + "'", models);
    }
    List<List<HubFile>> candidates = models.values().stream()
      .filter(parts -> !parts.get(0).name().toLowerCase(Locale.ROOT).contains("mmproj")) // vision projectors, not models
      .collect(Collectors.toList());
    if (candidates.isEmpty()) {
      throw notFound("Repo '" + ref.id() + "' has no GGUF model", models);
    }
    List<List<HubFile>> q4km = candidates.stream()
      .filter(parts -> parts.get(0).name().toUpperCase(Locale.ROOT).contains("Q4_K_M")).collect(Collectors.toList());
    List<List<HubFile>> pool = q4km.isEmpty() ? candidates : q4km;
    return pool.stream().min(Comparator.comparingLong(GgufChoice::sizeOrMax)
      .thenComparing(parts -> parts.get(0).name())).orElseThrow();
  }

  /** The GGUF files grouped into models, keyed by the first part's name, in name order. */
  static Map<String, List<HubFile>> models(List<HubFile> files) {
    Map<String, List<HubFile>> byBase = new LinkedHashMap<>();
    files.stream()
      .filter(f -> f.name().toLowerCase(Locale.ROOT).endsWith(".gguf"))
      .sorted(Comparator.comparing(HubFile::name))
      .forEach(f -> {
        Matcher m = SPLIT.matcher(f.name());
        String base = m.matches() ? m.group(1) + "-of-" + m.group(3) : f.name();
        byBase.computeIfAbsent(base, k -> new ArrayList<>()).add(f);
      });
    Map<String, List<HubFile>> byFirst = new LinkedHashMap<>();
    byBase.values().forEach(parts -> byFirst.put(parts.get(0).name(), parts));
    return byFirst;
  }

  /** Total size of a model's parts; unknown sizes sort last. */
  static long sizeOrMax(List<HubFile> parts) {
    long total = 0;
    for (HubFile f : parts) {
      if (f.size() < 0) {
        return Long.MAX_VALUE;
      }
      total += f.size();
    }
    return total;
  }

  private static RuntimeException notFound(String what, Map<String, List<HubFile>> models) {
    String list = models.isEmpty() ? "none" : String.join(", ", models.keySet());
    return LlmErrors.of(404, "invalid_request_error", "file", "model_not_found", what + ". GGUF files: " + list);
  }
}
