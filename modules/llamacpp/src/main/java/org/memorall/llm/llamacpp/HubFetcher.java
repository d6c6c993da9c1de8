package org.memorall.llm.llamacpp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ServeProgress;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The download half of serving a HuggingFace model: resolve the repo's files through the Hub API, pick the GGUF,
 * and fetch it (sharing a download already running). When the Hub cannot be reached, a copy already in the
 * repo's folder is used, so a node that downloaded a model once can serve it offline.
 */
final class HubFetcher {

  /** Progress events at most this often while bytes flow (plus every phase change and the last one). */
  static final long PROGRESS_INTERVAL_MS = 200;

  private final String configuredEndpoint;
  private final Path modelsDir;
  private final WorkerExecutor admin;

  HubFetcher(String configuredEndpoint, Path modelsDir, WorkerExecutor admin) {
    this.configuredEndpoint = configuredEndpoint;
    this.modelsDir = modelsDir;
    this.admin = admin;
  }

  /** The model's first GGUF file, downloaded and verified; {@code progress} is called on {@code context}. */
  Future<Path> fetch(HubRef ref, Context context, Consumer<ServeProgress> progress) {
    ServeProgress resolving = ServeProgress.of("resolving", 0, 0);
    resolving.toJson().put("repo", ref.id());
    progress.accept(resolving);
    HubClient hub = HubClient.fromSettings(configuredEndpoint);
    return admin.executeBlocking(() -> resolve(hub, ref), false).compose(resolved -> {
      if (resolved.local != null) {
        return Future.succeededFuture(resolved.local);
      }
      List<HubFile> parts = resolved.parts;
      Path key = ModelFetch.target(modelsDir, ref, parts.get(0).name());
      Consumer<ServeProgress> onContext = p -> context.runOnContext(v -> progress.accept(p));
      return Future.fromCompletionStage(DownloadRegistry.fetch(key, onContext, out -> ModelFetch.run(hub, ref, parts,
        modelsDir, new ProgressMeter(ref.id(), ModelFetch.totalSize(parts), PROGRESS_INTERVAL_MS, out))), context);
    });
  }

  /** Blocking: the parts to download, or a local copy when the Hub is out of reach. */
  private Resolved resolve(HubClient hub, HubRef ref) throws Exception {
    List<HubFile> files;
    try {
      files = hub.files(ref);
    } catch (IOException e) {
      Path local = ModelPaths.onDisk(ref, modelsDir);
      if (local != null) {
        return new Resolved(null, local);
      }
      throw LlmErrors.of(503, "server_error", null, "hub_unreachable", "Cannot reach the Hub at " + hub.endpoint()
        + " to resolve " + ref.id() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
        + "; nothing of it is in " + ModelFetch.repoDir(modelsDir, ref));
    }
    return new Resolved(GgufChoice.pick(ref, files), null);
  }

  private record Resolved(List<HubFile> parts, Path local) {
  }
}
