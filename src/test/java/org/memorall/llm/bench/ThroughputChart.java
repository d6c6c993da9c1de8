package org.memorall.llm.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A PNG of tokens/s against concurrent streams, gateway (SSE) against java-llama.cpp direct: one panel per model
 * (their scales differ by an order of magnitude), medians with min-max bars. Java2D only.
 */
final class ThroughputChart {

  private static final int PANEL_W = 520;
  private static final int PANEL_H = 380;
  private static final int MARGIN_L = 70;
  private static final int MARGIN_R = 20;
  private static final int MARGIN_T = 50;
  private static final int MARGIN_B = 60;
  private static final Color DIRECT = new Color(0x1f77b4);
  private static final Color GATEWAY = new Color(0xd62728);

  private record Panel(String title, Samples[] direct, Samples[] gateway) {
  }

  private final int[] concurrency;
  private final List<Panel> panels = new ArrayList<>();

  ThroughputChart(int[] concurrency) {
    this.concurrency = concurrency;
  }

  void add(String title, Samples[] direct, Samples[] gateway) {
    panels.add(new Panel(title, direct, gateway));
  }

  void write(Path file) throws IOException {
    BufferedImage image = new BufferedImage(PANEL_W * panels.size(), PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    for (int i = 0; i < panels.size(); i++) {
      draw(g, panels.get(i), i * PANEL_W);
    }
    g.dispose();
    Files.createDirectories(file.getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  private void draw(Graphics2D g, Panel panel, int x0) {
    int left = x0 + MARGIN_L;
    int right = x0 + PANEL_W - MARGIN_R;
    int top = MARGIN_T;
    int bottom = PANEL_H - MARGIN_B;
    double max = 0;
    for (int c = 0; c < concurrency.length; c++) {
      max = Math.max(max, Math.max(panel.direct[c].max(), panel.gateway[c].max()));
    }
    double yMax = niceCeiling(max);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.setColor(Color.BLACK);
    g.drawString(panel.title, left, 25);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    // Horizontal grid with tokens/s labels.
    for (int k = 0; k <= 5; k++) {
      double v = yMax * k / 5;
      int y = bottom - (int) Math.round((bottom - top) * v / yMax);
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String label = String.format("%.0f", v);
      g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    g.setColor(Color.BLACK);
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, top, left, bottom);
    for (int c = 0; c < concurrency.length; c++) {
      String label = Integer.toString(concurrency[c]);
      g.drawString(label, xOf(c, left, right) - g.getFontMetrics().stringWidth(label) / 2, bottom + 16);
    }
    g.drawString("concurrent streams", (left + right) / 2 - 50, bottom + 34);
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.rotate(-Math.PI / 2);
    rotated.drawString("tokens/s (all streams)", -(top + bottom) / 2 - 55, x0 + 15);
    rotated.dispose();
    series(g, panel.direct, DIRECT, left, right, top, bottom, yMax, -3);
    series(g, panel.gateway, GATEWAY, left, right, top, bottom, yMax, 3);
    legend(g, right - 170, bottom - 40);
  }

  private void series(Graphics2D g, Samples[] samples, Color color, int left, int right, int top, int bottom,
                      double yMax, int shift) {
    g.setColor(color);
    g.setStroke(new BasicStroke(2f));
    int px = -1;
    int py = -1;
    for (int c = 0; c < concurrency.length; c++) {
      int x = xOf(c, left, right) + shift;
      int y = yOf(samples[c].median(), top, bottom, yMax);
      g.drawLine(x, yOf(samples[c].min(), top, bottom, yMax), x, yOf(samples[c].max(), top, bottom, yMax));
      g.fillOval(x - 4, y - 4, 8, 8);
      if (px >= 0) {
        g.drawLine(px, py, x, y);
      }
      px = x;
      py = y;
    }
    g.setStroke(new BasicStroke(1f));
  }

  private static void legend(Graphics2D g, int x, int y) {
    g.setColor(DIRECT);
    g.fillRect(x, y - 8, 14, 8);
    g.setColor(Color.BLACK);
    g.drawString("java-llama.cpp direct", x + 20, y);
    g.setColor(GATEWAY);
    g.fillRect(x, y + 10, 14, 8);
    g.setColor(Color.BLACK);
    g.drawString("gateway (SSE)", x + 20, y + 18);
  }

  private int xOf(int index, int left, int right) {
    return left + 30 + (right - left - 60) * index / Math.max(1, concurrency.length - 1);
  }

  private static int yOf(double value, int top, int bottom, double yMax) {
    return bottom - (int) Math.round((bottom - top) * value / yMax);
  }

  /** 1, 2 or 5 times a power of ten, at least {@code value}. */
  private static double niceCeiling(double value) {
    if (!(value > 0)) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[]{1, 2, 2.5, 5, 10}) {
      if (step * power >= value) {
        return step * power;
      }
    }
    return 10 * power;
  }
}
