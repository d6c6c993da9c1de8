package org.memorall.llm.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One benchmark's results: a markdown section and the same numbers as JSON, written to
 * {@code target/bench/<name>.md} and {@code .json}; {@code bench.sh} joins the sections into
 * {@code target/bench/results.md}.
 */
public final class BenchReport {

  public static final Path DIR = Path.of("target", "bench");

  private final String name;
  private final StringBuilder markdown = new StringBuilder();
  private final JsonObject json = new JsonObject();

  public BenchReport(String name, String title) {
    this.name = name;
    markdown.append("## ").append(title).append("\n\n");
    json.put("benchmark", name).put("cores", Runtime.getRuntime().availableProcessors())
      .put("java", System.getProperty("java.version"));
  }

  /** A line of the markdown section (a paragraph, a table row...). */
  public BenchReport line(String text) {
    markdown.append(text).append('\n');
    return this;
  }

  /** The JSON document of the results, to fill in. */
  public JsonObject json() {
    return json;
  }

  public void write() throws IOException {
    Files.createDirectories(DIR);
    Files.writeString(DIR.resolve(name + ".md"), markdown.append('\n').toString());
    Files.writeString(DIR.resolve(name + ".json"), json.encodePrettily());
    System.out.println("\n" + markdown);
  }
}
