package org.memorall.llm.llamacpp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.CompletionSink;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmProvider;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ProviderContext;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;
import org.memorall.llm.llamacpp.ModelCatalog.ModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A local LLM run in-process by llama.cpp (java-llama.cpp): one GGUF model at a time, {@code parallel} slots
 * decoding together. Every llama.cpp call runs on worker threads; lifecycle operations (load, unload, replace,
 * delete) run one after another, and a model is freed only after the generations using it have stopped.
 */
final class LlamaCppProvider implements LlmProvider {

  static final String LOADING = "loading", READY = "ready", FAILED = "failed", UNLOADED = "unloaded";
  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final LlamaCppConfig config;
  private final SerialQueue lifecycle = new SerialQueue();
  private final Set<Generation> running = ConcurrentHashMap.newKeySet();
  private final AtomicLong tokensGenerated = new AtomicLong();

  private String name;
  private Vertx vertx;
  private Path modelsDir;
  private WorkerExecutor generators;
  private WorkerExecutor admin;
  /** One thread for embeddings (embedding mode only), so they never hold a thread a chat slot needs. */
  private WorkerExecutor embedders;

  // Guarded by this.
  private ModelFile defaultFile;
  private ModelFile target;
  private LoadedModel model;
  private Future<LoadedModel> pendingLoad;
  private String status = LOADING;
  private String error;
  private Integer contextSize;
  private boolean stopped;
  /** The last progress event of a serve from the Hub while it runs, else null. */
  private JsonObject serving;
  private Object servingOwner;

  LlamaCppProvider(LlamaCppConfig config) {
    this.config = config;
    this.contextSize = config.contextSize;
  }

  @Override
  public Future<Void> start(ProviderContext context) {
    name = context.name();
    vertx = context.vertx();
    modelsDir = context.modelsDir().toAbsolutePath().normalize();
    int pool = POOLS.incrementAndGet();
    // One thread per slot for the token loops; model loads and file work get their own threads so that they
    // never queue behind generations.
    generators = context.vertx().createSharedWorkerExecutor("llamacpp-" + name + "-" + pool, config.parallel,
      365, TimeUnit.DAYS);
    admin = context.vertx().createSharedWorkerExecutor("llamacpp-" + name + "-admin-" + pool, 2, 365, TimeUnit.DAYS);
    embedders = config.embedding
      ? context.vertx().createSharedWorkerExecutor("llamacpp-" + name + "-embed-" + pool, 1, 365, TimeUnit.DAYS) : null;
    try {
      synchronized (this) {
        defaultFile = configuredFile();
        target = defaultFile;
      }
    } catch (InvalidPathException e) {
      return Future.<Void>failedFuture(LlmErrors.invalidField("model", "'model' is not a valid path: " + e.getMessage()))
        .onFailure(x -> closeExecutors());
    }
    return ensureLoaded().<Void>mapEmpty().onFailure(e -> {
      // A provider that failed to start is discarded without stop(): release its threads now.
      synchronized (this) {
        stopped = true;
      }
      closeExecutors();
    });
  }

  /** The configured model: a path (relative ones are looked up in the models directory first), or the bundled one. */
  private ModelFile configuredFile() {
    if (config.model == null) {
      return ModelFile.of(BundledModel.path(modelsDir), modelsDir);
    }
    return ModelFile.of(ModelPaths.resolve(config.model, modelsDir), modelsDir);
  }

  @Override
  public Future<Void> stop() {
    synchronized (this) {
      stopped = true;
      if (generators == null) {
        return Future.succeededFuture(); // never started
      }
    }
    return lifecycle.submit(() -> closeCurrent(LlmErrors.unavailable("LLM '" + name + "' was stopped while this request ran")))
      .eventually(this::closeExecutors);
  }

  private Future<Void> closeExecutors() {
    return Future.join(generators.close(), admin.close(), embedders == null ? Future.succeededFuture() : embedders.close())
      .mapEmpty();
  }

  @Override
  public int slots() {
    return config.parallel;
  }

  @Override
  public synchronized JsonObject status() {
    ModelFile file = model != null ? model.file : target;
    JsonObject s = new JsonObject().put("status", status)
      .put("model", file == null ? null : file.id())
      .put("path", file == null ? null : file.path().toString())
      .put("slots", config.parallel)
      .put("threads", config.threads)
      .put("contextSize", contextSize)
      .put("embedding", config.embedding)
      .put("flashAttention", config.flashAttention)
      .put("activeGenerations", running.size())
      .put("tokensGenerated", tokensGenerated.get());
    if (model != null) {
      s.put("loadMs", model.loadMillis);
    }
    if (serving != null) {
      s.put("serving", serving.copy());
    }
    if (FAILED.equals(status) && error != null) {
      s.put("error", error);
    }
    return s;
  }

  @Override
  public void chatCompletions(ChatCompletionRequest request, CompletionSink sink) {
    try {
      LocalCapabilities.check(request);
    } catch (ServiceException e) {
      sink.fail(e);
      return;
    }
    Generation g = new Generation(request, sink, config, tokensGenerated);
    sink.onCancel(g::cancel);
    running.add(g);
    acquire(g, 3).onComplete(ar -> {
      if (ar.failed()) {
        running.remove(g);
        g.fail(ar.cause());
        return;
      }
      LoadedModel m = ar.result();
      generators.executeBlocking(() -> {
        try {
          g.run(m);
        } finally {
          m.unregister(g);
          running.remove(g);
        }
        return null;
      }, false).onFailure(e -> { // the executor refused the task (the provider is stopping)
        m.unregister(g);
        running.remove(g);
        g.fail(LlmErrors.from(e));
      });
    });
  }

  /**
   * Embeddings on the model loaded in embedding mode, on the embedding thread. Without embedding mode llama.cpp
   * refuses to embed ("model was not loaded with embedding support"), so the error says what to configure.
   */
  @Override
  public Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    if (!config.embedding) {
      return Future.failedFuture(LlmErrors.embeddingsNotSupported("LLM '" + name + "' (llamacpp) does not do"
        + " embeddings: its model was not loaded in embedding mode. Create an LLM with \"embedding\": true in its"
        + " config (it can chat too), e.g. {\"name\":\"embed\",\"type\":\"llamacpp\",\"config\":{\"embedding\":true}}"));
    }
    if (request.getDimensions() != null) {
      return Future.failedFuture(LlmErrors.invalidField("dimensions", "'dimensions' is not supported by LLM '" + name
        + "' (llamacpp): its vectors have the model's embedding size; leave 'dimensions' out"));
    }
    Embedding job = new Embedding(request, name);
    return acquire(job, 3).compose(m -> embedders.executeBlocking(() -> {
      try {
        return job.run(m);
      } finally {
        m.unregister(job);
      }
    }, false).onFailure(e -> m.unregister(job))); // also when the executor refused the task (stopping)
  }

  /** The loaded model with {@code g} registered on it, loading the model first when needed. */
  private Future<LoadedModel> acquire(LoadedModel.User g, int attempts) {
    return ensureLoaded().compose(m -> {
      if (m.register(g)) {
        return Future.succeededFuture(m);
      }
      // The model began closing (unload, serve) between lookup and registration: wait for its successor.
      return attempts > 1 ? acquire(g, attempts - 1)
        : Future.failedFuture(LlmErrors.unavailable("The model of LLM '" + name + "' is being replaced; retry"));
    });
  }

  /** The loaded model; when there is none, one load of the target shared by every caller. */
  private Future<LoadedModel> ensureLoaded() {
    Promise<LoadedModel> promise;
    synchronized (this) {
      if (stopped) {
        return Future.failedFuture(LlmErrors.unavailable("LLM '" + name + "' is stopped"));
      }
      if (model != null) {
        return Future.succeededFuture(model);
      }
      if (pendingLoad != null) {
        return pendingLoad;
      }
      promise = Promise.promise();
      pendingLoad = promise.future();
    }
    lifecycle.submit(this::loadTarget).onComplete(ar -> {
      synchronized (this) {
        if (pendingLoad == promise.future()) {
          pendingLoad = null;
        }
      }
      promise.handle(ar);
    });
    return promise.future();
  }

  /** Lifecycle step: loads the target unless a model is loaded. */
  private Future<LoadedModel> loadTarget() {
    ModelFile file;
    synchronized (this) {
      if (stopped) {
        return Future.failedFuture(LlmErrors.unavailable("LLM '" + name + "' is stopped"));
      }
      if (model != null) {
        return Future.succeededFuture(model);
      }
      file = target;
      status = LOADING;
      error = null;
    }
    return admin.executeBlocking(() -> LoadedModel.load(file, config, modelsDir, name), false).compose(m -> {
      synchronized (this) {
        if (!stopped) {
          model = m;
          status = READY;
          contextSize = m.contextSize;
          return Future.succeededFuture(m);
        }
      }
      return admin.executeBlocking(() -> {
        m.close();
        return null;
      }, false).transform(v -> Future.failedFuture(LlmErrors.unavailable("LLM '" + name + "' is stopped")));
    }, e -> {
      LOG.warning(() -> "LLM '" + name + "': cannot load " + file.path() + ": " + e.getMessage());
      synchronized (this) {
        status = FAILED;
        error = e.getMessage();
      }
      return Future.failedFuture(e);
    });
  }

  /** Lifecycle step: aborts the generations on the loaded model with {@code reason}, then frees it. */
  private Future<Void> closeCurrent(ServiceException reason) {
    LoadedModel m;
    synchronized (this) {
      m = model;
      model = null;
      status = UNLOADED;
      error = null;
    }
    if (m == null) {
      return Future.succeededFuture();
    }
    return m.drain(reason).compose(v -> admin.executeBlocking(() -> {
      m.close();
      return null;
    }, false));
  }

  @Override
  public Future<ModelInfo> serve(ServeRequest request, Handler<ServeProgress> progress) {
    if (!HubRef.isHubRequest(request)) {
      return admin.executeBlocking(() -> ModelPaths.forServe(request, modelsDir), false)
        .compose(file -> load(file, progress, -1));
    }
    HubRef ref;
    try {
      ref = HubRef.of(request);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Context context = Vertx.currentContext() != null ? Vertx.currentContext() : vertx.getOrCreateContext();
    Object self = new Object(); // this serve, so that it clears only its own 'serving' when it ends
    long[] total = {0};
    // The node's console shows the download too: a bar on a terminal, else a line per phase and every 5 s.
    ConsoleProgress console = new ConsoleProgress(System.err, System.console() != null, 5000);
    Handler<ServeProgress> tracked = p -> {
      total[0] = Math.max(total[0], p.toJson().getLong("total", 0L));
      synchronized (this) {
        serving = p.toJson().copy(); // visible in status() while the serve runs
        servingOwner = self;
      }
      console.accept(p);
      progress.handle(p);
    };
    return new HubFetcher(config.hubEndpoint, modelsDir, admin).fetch(ref, context, tracked::handle)
      .compose(path -> admin.executeBlocking(() -> ModelPaths.check(path, "repo", modelsDir), false))
      .compose(file -> load(file, tracked, total[0]))
      .andThen(ar -> {
        console.finish();
        synchronized (this) {
          if (servingOwner == self) {
            serving = null;
            servingOwner = null;
          }
        }
      });
  }

  /**
   * Loads a checked file in place of the current model. From disk ({@code downloaded} negative) progress goes 0 %
   * then 100 % of the file; after a download it stays at the download's 100 % ({@code downloaded} bytes, all parts
   * of a split model), so it never goes back, and a file the download replaced since it was loaded is reloaded.
   */
  private Future<ModelInfo> load(ModelFile file, Handler<ServeProgress> progress, long downloaded) {
    long size = downloaded > 0 ? downloaded : file.path().toFile().length();
    long modified = downloaded >= 0 ? file.path().toFile().lastModified() : -1;
    progress.handle(ServeProgress.of("loading", downloaded >= 0 ? size : 0, size));
    return lifecycle.submit(() -> replace(file, modified)).map(m -> {
      progress.handle(ServeProgress.of("loading", size, size));
      return m.info();
    });
  }

  /**
   * Lifecycle step of serve: frees the current model (its running generations fail with a retryable 503) and
   * loads {@code file}. If that load fails the previous target stays the one a later request loads.
   */
  private Future<LoadedModel> replace(ModelFile file, long modified) {
    ModelFile previous;
    synchronized (this) {
      // The loaded file again is a no-op, unless a download replaced it since it was loaded ({@code modified}).
      if (model != null && model.file.path().equals(file.path()) && (modified < 0 || model.fileModified == modified)) {
        return Future.succeededFuture(model);
      }
      previous = target;
      target = file;
    }
    return closeCurrent(LlmErrors.unavailable("The model of LLM '" + name + "' was replaced by '" + file.id()
      + "' while this request ran; retry"))
      .compose(v -> loadTarget())
      .onFailure(e -> {
        synchronized (this) {
          target = previous;
        }
      });
  }

  @Override
  public Future<ModelList> models() {
    LoadedModel loaded;
    synchronized (this) {
      loaded = model;
    }
    return admin.executeBlocking(() -> {
      List<ModelInfo> infos = new ArrayList<>();
      for (Path p : known()) {
        boolean isLoaded = loaded != null && loaded.file.path().equals(p);
        infos.add(isLoaded ? loaded.info() : ModelCatalog.info(p, false));
      }
      return ModelList.of(infos);
    }, false);
  }

  /**
   * The model files this provider knows: those in the models directory, plus the loaded, target and configured
   * files wherever they are. Blocking.
   */
  private List<Path> known() throws Exception {
    List<Path> files = new ArrayList<>(ModelCatalog.list(modelsDir));
    List<ModelFile> extra = new ArrayList<>();
    synchronized (this) {
      if (model != null) {
        extra.add(model.file);
      }
      extra.add(target);
      extra.add(defaultFile);
    }
    for (ModelFile f : extra) {
      if (f != null && !files.contains(f.path()) && Files.isRegularFile(f.path())) {
        files.add(f.path());
      }
    }
    return files;
  }

  @Override
  public Future<Void> unload(String modelId) {
    // First which file it names (a 404, or a 400 when it fits several), then whether that one is loaded.
    return admin.executeBlocking(() -> find(modelId), false).compose(file -> {
      synchronized (this) {
        boolean loadedOne = model != null && model.file.path().equals(file.path());
        boolean loadingOne = model == null && pendingLoad != null && target.path().equals(file.path());
        if (loadedOne || loadingOne) {
          return lifecycle.submit(() -> closeCurrent(unloadedWhileRunning(modelId)));
        }
      }
      return Future.succeededFuture(); // not loaded: nothing to do
    });
  }

  @Override
  public Future<Void> delete(String modelId) {
    return admin.executeBlocking(() -> find(modelId), false).compose(file -> {
      if (!file.path().startsWith(modelsDir)) {
        return Future.failedFuture(LlmErrors.invalidField("model", "Model '" + modelId + "' is at " + file.path()
          + ", outside the models directory " + modelsDir + "; only files in the models directory are deleted"));
      }
      return lifecycle.submit(() -> {
        boolean loaded;
        synchronized (this) {
          loaded = model != null && model.file.path().equals(file.path());
        }
        Future<Void> unloaded = loaded ? closeCurrent(unloadedWhileRunning(modelId)) : Future.succeededFuture();
        return unloaded.compose(v -> admin.executeBlocking(() -> {
          synchronized (this) {
            if (target.path().equals(file.path())) {
              target = defaultFile; // the bundled model is extracted again when it loads
            }
          }
          List<Path> deleted = new ArrayList<>();
          for (Path f : ModelCatalog.filesOf(file.path())) { // every part of a split model, and download leftovers
            if (Files.deleteIfExists(f)) {
              deleted.add(f);
            }
          }
          LOG.info(() -> "LLM '" + name + "': deleted " + deleted);
          removeEmptyFolders(file.path().getParent());
          return null;
        }, false));
      });
    });
  }

  /**
   * Removes {@code dir} and its parents up to the models directory while they are empty (a repo's folders). Best
   * effort: the model is deleted already, and a download may be starting in one of them.
   */
  private void removeEmptyFolders(Path dir) {
    for (Path d = dir; d != null && d.startsWith(modelsDir) && !d.equals(modelsDir); d = d.getParent()) {
      try (Stream<Path> entries = Files.list(d)) {
        if (entries.findAny().isPresent()) {
          return;
        }
        Files.delete(d);
      } catch (IOException e) {
        Path kept = d;
        LOG.fine(() -> "LLM '" + name + "': kept the folder " + kept + " (" + e + ")");
        return;
      }
    }
  }

  private ServiceException unloadedWhileRunning(String modelId) {
    return LlmErrors.unavailable("The model '" + modelId + "' was unloaded while this request ran; retry");
  }

  /**
   * The model file {@code ref} names (id, path, path in the models directory, or HuggingFace repo), else a 404 (a 400
   * when it names several). Blocking.
   */
  private ModelFile find(String ref) throws Exception {
    List<Path> files = known();
    ModelFile file = ModelCatalog.find(files, ref, modelsDir);
    if (file == null) {
      synchronized (this) { // a loaded (or loading) model whose file went away meanwhile
        if (model != null && model.file.matches(ref, modelsDir)) {
          return model.file;
        }
        if (pendingLoad != null && target.matches(ref, modelsDir)) {
          return target;
        }
      }
      throw LlmErrors.modelNotFound(ref, files.stream().map(ModelCatalog::idOf).collect(Collectors.toList()));
    }
    return file;
  }
}
