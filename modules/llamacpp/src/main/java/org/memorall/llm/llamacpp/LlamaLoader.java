package org.memorall.llm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Creates a {@link LlamaModel} on a thread that ends right after, never on a long-lived worker.
 * <p>
 * Why: llama.cpp decodes a warm-up batch while the model loads, on the thread that creates it, and its OpenMP
 * runtime (libgomp) keeps a pool of worker threads for every thread that ran a parallel region, for as long as that
 * thread lives. Once the pools hold more threads than the machine has CPUs, libgomp cuts its spinning from 300,000
 * rounds to 100, and then every barrier of the computation (70-80 per token) sleeps and wakes through a futex. With
 * 2 compute threads on 2 cores, a model loaded on a pooled worker decoded 230-300 tokens/s (bundled model) and 119-123
 * (random 35M F16) instead of 3,100-4,700 and 246-284 when its loading thread ends (measured with java-llama.cpp
 * 4.2.0, 7 runs of 128 tokens). The generations themselves run on java-llama.cpp's own server thread.
 */
final class LlamaLoader {

  private LlamaLoader() {
  }

  /** Blocking: returns once the model is loaded (or its load failed, rethrown here). */
  static LlamaModel load(ModelParameters params, String llmName) {
    AtomicReference<LlamaModel> model = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread loader = new Thread(() -> {
      try {
        model.set(new LlamaModel(params));
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "llm-load-" + llmName);
    loader.setDaemon(true);
    loader.start();
    boolean interrupted = false;
    while (true) {
      try {
        loader.join(); // a native load cannot be abandoned halfway: wait for it even if interrupted
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable e = failure.get();
    if (e instanceof RuntimeException) {
      throw (RuntimeException) e;
    }
    if (e instanceof Error) {
      throw (Error) e;
    }
    if (e != null) {
      throw new IllegalStateException(e);
    }
    return model.get();
  }
}
