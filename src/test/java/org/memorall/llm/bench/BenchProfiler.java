package org.memorall.llm.bench;

import one.profiler.AsyncProfiler;

/**
 * A CPU profile of part of a benchmark with async-profiler, when {@code -Dbench.profile=FILE} is given: per thread,
 * sampled every 200 µs of CPU, written as collapsed stacks (one line per stack and its sample count; thread first).
 * How the receive spin of java-llama.cpp and the node's costs were found (README "Benchmark").
 */
final class BenchProfiler {

  private static final String FILE = System.getProperty("bench.profile");

  private BenchProfiler() {
  }

  static void start() throws Exception {
    if (FILE != null) {
      AsyncProfiler.getInstance().execute("start,event=cpu,interval=200us,threads");
    }
  }

  /** Writes the profile since {@link #start} to the file, {@code part} before its extension. */
  static void stop(String part) throws Exception {
    if (FILE != null) {
      int dot = FILE.lastIndexOf('.');
      String file = dot > 0 ? FILE.substring(0, dot) + "-" + part + FILE.substring(dot) : FILE + "-" + part;
      AsyncProfiler.getInstance().execute("stop,file=" + file + ",collapsed");
    }
  }
}
