package org.memorall.llm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/**
 * The process's CPU time split by the threads that spent it, for "where the CPU goes" in the throughput report:
 * llama.cpp's engine, the token readers ("llm-tokens-…"), the node's Vert.x event loops, the benchmark's HTTP client
 * (its event loop, renamed {@link #CLIENT} by the benchmark), and the rest (GC, JIT compilers and other JVM threads,
 * the benchmark's own threads, threads that ended). The engine's threads are native: java-llama.cpp starts its server
 * thread from the thread that creates the model, whose name it inherits ("llm-load-…" in the provider, see
 * LlamaLoader; "bench-load" on the direct path).
 *
 * <p>Per thread from Linux's {@code /proc/self/task/<id>/schedstat} (nanoseconds on a CPU), not from the JVM's
 * thread list: java-llama.cpp never detaches its server thread, so a closed model's thread stays listed there, and
 * once the system reuses its identity for the next model's thread the JVM reports that thread's time twice. Elsewhere
 * (no such file) everything counts as "rest".
 */
final class ThreadCpu {

  /** The parts, in the order of {@link #nanos}. */
  static final String[] PARTS = {"engine", "reader", "event loop", "client", "rest"};
  /** The name the benchmark gives its client's event-loop thread. */
  static final String CLIENT = "bench-client";
  private static final int REST = PARTS.length - 1;
  private static final Path TASKS = Paths.get("/proc/self/task");
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  /** CPU nanoseconds per part so far, in the order of {@link #PARTS}. */
  final long[] nanos = new long[PARTS.length];

  private ThreadCpu() {
  }

  /** Whether this system shows its threads' CPU times (Linux with scheduler statistics). */
  static boolean available() {
    return Files.isReadable(Paths.get("/proc/thread-self/schedstat"));
  }

  static ThreadCpu now() {
    ThreadCpu t = new ThreadCpu();
    if (!available()) {
      t.nanos[REST] = PROCESS.getProcessCpuTime();
      return t;
    }
    long listed = 0;
    try (Stream<Path> tasks = Files.list(TASKS)) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String name;
        long cpu;
        try {
          name = Files.readString(task.resolve("comm")).trim(); // (15 characters at most)
          cpu = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
        } catch (IOException e) {
          continue; // ended meanwhile
        }
        int part = name.startsWith("llm-load-") || name.startsWith("bench-load") ? 0
          : name.startsWith("llm-tokens-") ? 1 : name.startsWith("vert.x-eventloo") ? 2 : name.equals(CLIENT) ? 3 : -1;
        if (part >= 0) {
          t.nanos[part] += cpu;
          listed += cpu;
        }
      }
      t.nanos[REST] = PROCESS.getProcessCpuTime() - listed;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self", e);
    }
    return t;
  }

  /** Microseconds per token of each part from this snapshot to now. */
  double[] microsPerTokenSince(long tokens) {
    ThreadCpu after = now();
    double[] perToken = new double[PARTS.length];
    for (int i = 0; i < PARTS.length; i++) {
      perToken[i] = (after.nanos[i] - nanos[i]) / 1e3 / tokens;
    }
    return perToken;
  }
}
