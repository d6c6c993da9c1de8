package org.memorall.llm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/**
 * The process's CPU time split by the threads that spent it, for "where the CPU goes" in the throughput report:
 * llama.cpp's engine, the token readers ("llm-tokens-…"), Vert.x event loops (the node's and the benchmark client's),
 * and the rest (GC, JIT compilers and other JVM threads, the benchmark's own threads, threads that ended). The
 * engine's threads are native: java-llama.cpp starts its server thread from the thread that creates the model, whose
 * name it inherits ("llm-load-…" in the provider, see LlamaLoader; "bench-load" on the direct path).
 *
 * <p>Read from Linux's {@code /proc/self/task} (clock ticks, 10 ms), not from the JVM's thread list: java-llama.cpp
 * never detaches its server thread, so a closed model's thread stays listed there, and once the system reuses its
 * identity for the next model's thread the JVM reports that thread's time twice.
 */
final class ThreadCpu {

  /** The parts, in the order of {@link #nanos}. */
  static final String[] PARTS = {"engine", "reader", "event loops", "rest"};
  private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ, 100 on Linux
  private static final Path TASKS = Paths.get("/proc/self/task");

  /** CPU nanoseconds per part so far: engine, reader, event loops, rest. */
  final long[] nanos = new long[PARTS.length];

  private ThreadCpu() {
  }

  /** Whether this system shows its threads' CPU times (Linux). */
  static boolean available() {
    return Files.isDirectory(TASKS);
  }

  static ThreadCpu now() {
    ThreadCpu t = new ThreadCpu();
    if (!available()) {
      return t;
    }
    long listed = 0;
    try (Stream<Path> tasks = Files.list(TASKS)) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // ended meanwhile
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')); // (15 characters at most)
        int part = name.startsWith("llm-load-") || name.startsWith("bench-load") ? 0 : name.startsWith("llm-tokens-") ? 1
          : name.startsWith("vert.x-eventloo") ? 2 : -1;
        if (part >= 0) {
          long cpu = cpuNanos(stat);
          t.nanos[part] += cpu;
          listed += cpu;
        }
      }
      t.nanos[3] = cpuNanos(Files.readString(Paths.get("/proc/self/stat"))) - listed;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self", e);
    }
    return t;
  }

  /** utime + stime of a stat line (fields 14 and 15; the name in parentheses may hold spaces). */
  private static long cpuNanos(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
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
