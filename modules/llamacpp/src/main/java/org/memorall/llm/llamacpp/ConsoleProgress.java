package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.ServeProgress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A text progress bar for serve progress events: redrawn in place ({@code \r}) on a terminal; on a pipe or a
 * log file, one line per phase and at most one every {@code lineEveryMs} while bytes flow, so a long download
 * does not flood the log.
 */
final class ConsoleProgress implements Consumer<ServeProgress> {

  private static final int WIDTH = 30;
  private final PrintStream out;
  private final boolean terminal;
  private final long lineEveryMs;
  private String phase;
  private long lastLine;
  private int lastLength;

  ConsoleProgress(PrintStream out, boolean terminal, long lineEveryMs) {
    this.out = out;
    this.terminal = terminal;
    this.lineEveryMs = lineEveryMs;
  }

  @Override
  public synchronized void accept(ServeProgress p) {
    String line = render(p.toJson());
    boolean changed = !p.getPhase().equals(phase);
    if (terminal) {
      if (changed && phase != null) {
        out.print('\n');
        lastLength = 0;
      }
      out.print('\r' + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
    } else if (changed || System.currentTimeMillis() - lastLine >= lineEveryMs || p.getPercent() >= 100) {
      out.println(line);
      lastLine = System.currentTimeMillis();
    }
    phase = p.getPhase();
    out.flush();
  }

  /** Ends the bar's line (on a terminal the last redraw left the cursor on it). */
  synchronized void finish() {
    if (terminal && phase != null) {
      out.println();
    }
    phase = null;
  }

  static String render(JsonObject p) {
    double percent = p.getDouble("percent", 0.0);
    long total = p.getLong("total", 0L);
    int filled = (int) Math.round(WIDTH * Math.min(100, percent) / 100);
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-11s [%s%s] %5.1f%%", p.getString("phase"),
      "#".repeat(filled), " ".repeat(WIDTH - filled), percent));
    if (total > 0) {
      s.append(' ').append(bytes(p.getLong("bytes", 0L))).append(" / ").append(bytes(total));
    }
    Long speed = p.getLong("bytesPerSecond");
    if (speed != null && speed > 0) {
      s.append("  ").append(bytes(speed)).append("/s");
    }
    Long eta = p.getLong("etaSeconds");
    if (eta != null && percent < 100) {
      s.append("  ETA ").append(duration(eta));
    }
    return s.toString();
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KB", "MB", "GB", "TB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String duration(long seconds) {
    return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60)
      : seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
  }
}
