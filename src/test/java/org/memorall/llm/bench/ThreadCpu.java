package org.memorall.llm.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * The process's CPU time split by the threads that spent it, for "where the CPU goes" in the throughput report:
 * llama.cpp's engine (java-llama.cpp's server threads, which it attaches to the JVM unnamed: "Thread-N"), the
 * token readers ("llm-tokens-…"), Vert.x event loops (the node's and the benchmark client's), and the rest (GC,
 * JIT compilers and other JVM threads, which the JVM does not list, plus the benchmark's own threads).
 */
final class ThreadCpu {

  /** The parts, in the order of {@link #nanos}. */
  static final String[] PARTS = {"engine", "reader", "event loops", "rest"};
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** CPU nanoseconds per part since the JVM started: engine, reader, event loops, rest. */
  final long[] nanos = new long[PARTS.length];

  private ThreadCpu() {
  }

  static ThreadCpu now() {
    ThreadCpu t = new ThreadCpu();
    long listed = 0;
    long[] ids = THREADS.getAllThreadIds();
    for (ThreadInfo info : THREADS.getThreadInfo(ids)) {
      if (info == null) {
        continue; // ended meanwhile
      }
      long cpu = THREADS.getThreadCpuTime(info.getThreadId());
      if (cpu < 0) {
        continue;
      }
      String name = info.getThreadName();
      int part = name.startsWith("Thread-") ? 0 : name.startsWith("llm-tokens-") ? 1
        : name.startsWith("vert.x-eventloop-") ? 2 : -1;
      if (part >= 0) {
        t.nanos[part] += cpu;
        listed += cpu;
      }
    }
    t.nanos[3] = PROCESS.getProcessCpuTime() - listed;
    return t;
  }

  /**
   * Microseconds per token of each part from this snapshot to now. A thread that ended meanwhile takes its time out
   * of its part and puts it in "rest"; the threads of the parts live through a round.
   */
  double[] microsPerTokenSince(long tokens) {
    ThreadCpu after = now();
    double[] perToken = new double[PARTS.length];
    for (int i = 0; i < PARTS.length; i++) {
      perToken[i] = (after.nanos[i] - nanos[i]) / 1e3 / tokens;
    }
    return perToken;
  }
}
