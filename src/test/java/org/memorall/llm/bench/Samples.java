package org.memorall.llm.bench;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Repeated measurements of one quantity: median, spread and percentiles. */
public final class Samples {

  private final List<Double> values = new ArrayList<>();

  public synchronized void add(double value) {
    values.add(value);
  }

  public void addAll(Samples other) {
    for (double value : other.sorted()) {
      add(value);
    }
  }

  public synchronized int size() {
    return values.size();
  }

  private synchronized double[] sorted() {
    double[] s = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(s);
    return s;
  }

  public double median() {
    return percentile(50);
  }

  public double min() {
    double[] s = sorted();
    return s.length == 0 ? Double.NaN : s[0];
  }

  public double max() {
    double[] s = sorted();
    return s.length == 0 ? Double.NaN : s[s.length - 1];
  }

  /** The nearest-rank percentile {@code p} (0-100). */
  public double percentile(double p) {
    double[] s = sorted();
    if (s.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }

  /** {"median","min","max","n"}. */
  public JsonObject toJson() {
    return new JsonObject().put("median", median()).put("min", min()).put("max", max()).put("n", size());
  }

  /** "median [min-max]" with {@code format} for each number, e.g. "%.0f". */
  public String spread(String format) {
    return String.format(format + " [" + format + "-" + format + "]", median(), min(), max());
  }
}
