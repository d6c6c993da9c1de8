package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fetches every part of one model into {@code <modelsDir>/<username>/<repo>/}, one after the other, reporting
 * the whole model's progress through one {@link ProgressMeter}. Blocking; returns the first part (the file
 * llama.cpp is given).
 */
final class ModelFetch {

  private ModelFetch() {
  }

  /** The folder of a repo: one per repo, whatever the revision (the file last served wins). */
  static Path repoDir(Path modelsDir, HubRef ref) {
    return modelsDir.resolve(ref.username()).resolve(ref.repo());
  }

  /** Where {@code file} of the repo goes; HubRef already refused names that could leave the folder. */
  static Path target(Path modelsDir, HubRef ref, String file) {
    Path dir = repoDir(modelsDir, ref).toAbsolutePath().normalize();
    Path target = dir.resolve(file).normalize();
    if (!target.startsWith(dir) || target.equals(dir)) {
      throw LlmErrors.invalidField("file", "'" + file + "' would be outside the repo's folder");
    }
    return target;
  }

  static long totalSize(List<HubFile> parts) {
    long size = GgufChoice.sizeOrMax(parts);
    return size == Long.MAX_VALUE ? -1 : size;
  }

  static Path run(HubClient hub, HubRef ref, List<HubFile> parts, Path modelsDir, ProgressMeter meter)
    throws InterruptedException, IOException {
    long base = 0;
    Path first = null;
    for (HubFile part : parts) {
      long offset = base;
      Path path = new HubDownload(hub, ref, part, target(modelsDir, ref, part.name())).run(new HubDownload.Progress() {
        public void resumed(long bytes) {
          meter.resumedFrom(offset + bytes);
        }

        public void size(long bytes) {
          if (parts.size() == 1) {
            meter.totalIfUnknown(bytes);
          }
        }

        public void bytes(long done) {
          meter.update("downloading", offset + done);
        }

        public void verifying() {
          meter.update("verifying", offset + part.size());
        }
      });
      base += Files.size(path);
      meter.resumedFrom(base); // counts a part that was already in place, without an event of its own
      first = first == null ? path : first;
    }
    // The files at their final names were all verified (on this download or when an earlier one moved them in).
    meter.flush("verifying");
    return first;
  }
}
