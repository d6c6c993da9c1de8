package org.memorall.llm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.llamacpp.ModelCatalog.ModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One model loaded into llama.cpp, and the generations using it. It is closed only once every generation has
 * left it: closing the native model under a running generation would crash the JVM.
 */
final class LoadedModel {

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");

  final ModelFile file;
  final GgufHeader header;
  final LlamaModel llama;
  final int contextSize;
  final int slotContext;
  final Slots slots;
  /** Reads the generations' tokens after their first. */
  final TokenReader tokenReader;
  /** Prompts go through llama.cpp's chat template (else the plain template). */
  final boolean templated;
  final long loadMillis;
  /** The file's modification time when it was loaded: a download that replaced it since makes serve reload. */
  final long fileModified;
  private final String llmName;

  /** What runs on the model (a generation, an embedding): told to stop when the model is closing. */
  interface User {
    void abort(ServiceException reason);
  }

  private final Set<User> active = new HashSet<>();
  private final Promise<Void> drained = Promise.promise();
  private boolean closing;

  private LoadedModel(ModelFile file, GgufHeader header, LlamaModel llama, int contextSize, int parallel,
                      boolean templated, long loadMillis, long fileModified, String llmName) {
    this.file = file;
    this.header = header;
    this.llama = llama;
    this.contextSize = contextSize;
    this.slotContext = contextSize / parallel;
    this.slots = new Slots(parallel);
    this.tokenReader = new TokenReader(llmName);
    this.templated = templated;
    this.loadMillis = loadMillis;
    this.fileModified = fileModified;
    this.llmName = llmName;
  }

  /** Loads {@code file} with {@code config}. Blocking; fails with a ServiceException saying what is wrong. */
  static LoadedModel load(ModelFile file, LlamaCppConfig config, Path modelsDir, String llmName) {
    Path path = file.path();
    GgufHeader header;
    long modified;
    try {
      if (file.bundled()) {
        BundledModel.extract(modelsDir);
      }
      if (!Files.isRegularFile(path)) {
        throw LlmErrors.invalidField("model", "Model file not found: " + path);
      }
      header = ModelCatalog.header(path);
      modified = Files.getLastModifiedTime(path).toMillis();
    } catch (IOException e) {
      throw LlmErrors.invalidField("model", "Cannot use model file " + path + ": " + e.getMessage());
    }
    String template = null;
    boolean jinja = false;
    boolean templated;
    if (config.plainTemplate()) {
      templated = false;
    } else if (config.llamaTemplate()) {
      templated = true;
      template = config.chatTemplate;
      jinja = LlamaCppConfig.isJinja(template);
    } else {
      templated = header.hasChatTemplate();
      jinja = templated; // the model's own template is Jinja; llama.cpp's built-in list knows only common ones
    }
    if (template != null) {
      // Only a configured template: llama.cpp catches the failure of a model's own one and uses chatml (measured).
      probe(path, template, jinja);
    }
    int contextSize = config.contextSize != null ? config.contextSize : defaultContext(header, config.parallel);
    ModelParameters params = parameters(path, config, contextSize, template, jinja);
    long t0 = System.nanoTime();
    LlamaModel llama;
    try {
      llama = LlamaLoader.load(params, llmName);
    } catch (RuntimeException e) {
      // The header was fine, the rest is not (truncated, corrupt, unsupported): the file's fault, not the server's.
      throw LlmErrors.of(400, "invalid_request_error", "model", "model_load_failed", "llama.cpp could not load model "
        + path + " (truncated, corrupt or unsupported?): " + e.getMessage());
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    LoadedModel m = new LoadedModel(file, header, llama, contextSize, config.parallel, templated, ms, modified, llmName);
    LOG.info(() -> String.format("LLM '%s': loaded %s (%s, %.1f MB) in %d ms: threads=%d parallel=%d contextSize=%d"
        + " (%d per slot) flashAttention=%s template=%s%s", llmName, file.id(), path, sizeMb(path), ms,
      config.threads, config.parallel, contextSize, m.slotContext, config.flashAttention,
      templated ? (config.llamaTemplate() ? "configured" : "model's own") : "plain",
      config.embedding ? " embedding=" + config.pooling.name().toLowerCase() : ""));
    return m;
  }

  /**
   * llama.cpp's settings for {@code config}: as configured, not necessarily in effect (llama.cpp turns flash
   * attention off for a model whose key and value heads differ in size).
   */
  static ModelParameters parameters(Path path, LlamaCppConfig config, int contextSize, String template, boolean jinja) {
    ModelParameters params = new ModelParameters().setModel(path.toString()).setThreads(config.threads)
      .setParallel(config.parallel).setCtxSize(contextSize);
    if (template != null) {
      params.setChatTemplate(template);
    }
    if (jinja) {
      params.enableJinja();
    }
    if (config.flashAttention) {
      params.enableFlashAttn();
    }
    if (config.seed != null) {
      params.setSeed(config.seed);
    }
    if (config.embedding) {
      // Last-token pooling: a llama-style model declares no pooling, and llama.cpp's default then returns the
      // same vector for every text (measured on the bundled model); mean pooling aborts the JVM there.
      // A batch of a whole slot lets one input be as long as a slot's context (the default 512 is less).
      params.enableEmbedding().setPoolingType(config.pooling).setBatchSize(contextSize / config.parallel)
        .setUbatchSize(contextSize / config.parallel);
    }
    if (!config.nativeLog) {
      params.disableLog(); // llama.cpp writes ~150 lines to stderr per load; the log callback is never called
    }
    return params;
  }

  private static void probe(Path path, String template, boolean jinja) {
    String problem;
    try {
      problem = TemplateProbe.check(path, template, jinja);
    } catch (IOException e) {
      throw LlmErrors.internal("Could not check the chat template: " + e.getMessage());
    }
    if (problem != null) {
      throw LlmErrors.invalidField("chatTemplate", "llama.cpp cannot use this chat template: " + problem);
    }
  }

  /** 2048 tokens per slot, or less when the model was trained on a shorter context. */
  static int defaultContext(GgufHeader header, int parallel) {
    Long trained = header.contextLength();
    int perSlot = trained == null || trained <= 0 ? LlamaCppConfig.DEFAULT_SLOT_CONTEXT
      : (int) Math.min(LlamaCppConfig.DEFAULT_SLOT_CONTEXT, trained);
    return perSlot * parallel;
  }

  /** The tokens llama.cpp will see for {@code prompt}, counting the BOS token it adds. Blocking. */
  int promptTokens(String prompt) {
    int[] tokens = llama.encode(prompt);
    Long bos = header.bosTokenId();
    boolean hasBos = tokens.length > 0 && bos != null && tokens[0] == bos;
    return tokens.length + (header.addsBos() && !hasBos ? 1 : 0);
  }

  /** Adds a user; false when the model is closing (the caller then waits for the next model). */
  synchronized boolean register(User g) {
    if (closing) {
      return false;
    }
    active.add(g);
    return true;
  }

  synchronized void unregister(User g) {
    if (active.remove(g) && closing && active.isEmpty()) {
      drained.tryComplete();
    }
  }

  /** Stops accepting generations and aborts the running ones with {@code reason}; resolves once they all left. */
  Future<Void> drain(ServiceException reason) {
    List<User> running;
    synchronized (this) {
      closing = true;
      running = new ArrayList<>(active);
      if (active.isEmpty()) {
        drained.tryComplete();
      }
    }
    running.forEach(g -> g.abort(reason));
    return drained.future();
  }

  /** Frees the native model. Blocking; only after {@link #drain}. */
  void close() {
    long t0 = System.nanoTime();
    tokenReader.close();
    llama.close();
    LOG.info(() -> "LLM '" + llmName + "': unloaded " + file.id() + " (" + file.path() + ") in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }

  ModelInfo info() {
    return ModelCatalog.info(file.path(), true).put("context_size", contextSize).put("slot_context", slotContext);
  }

  private static double sizeMb(Path path) {
    try {
      return Files.size(path) / 1e6;
    } catch (IOException e) {
      return -1;
    }
  }
}
