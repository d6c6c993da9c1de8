package org.memorall.llm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Converts a JSON schema to a llama.cpp grammar in a child JVM. java-llama.cpp 4.2.0's
 * {@code LlamaModel.jsonSchemaToGrammar} does not catch the C++ exception of a schema it cannot convert (a bad
 * {@code $ref}, an unknown type, a pattern without anchors, text that is not JSON): the whole JVM aborts
 * (measured). So each distinct schema is converted once in a throwaway process (about 0.4 s), where the grammar is also
 * tried on the bundled model, and the result is cached.
 */
final class SchemaGrammar {

  private static final String BEGIN = "SCHEMA-GRAMMAR-BEGIN\n";
  private static final String END = "SCHEMA-GRAMMAR-END";
  private static final long TIMEOUT_S = 60;
  private static final int CACHE = 256;
  /** Grammar (or "!" + error) by schema text; least recently used dropped beyond CACHE entries. */
  private static final Map<String, String> RESULTS = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > CACHE;
    }
  };

  private SchemaGrammar() {
  }

  /** The result of a conversion: a grammar, or why there is none. */
  record Result(String grammar, String error) {
  }

  /** Converts {@code schemaJson}. Blocking: may start a JVM. */
  static Result convert(String schemaJson) throws IOException {
    String cached;
    synchronized (RESULTS) {
      cached = RESULTS.get(schemaJson);
    }
    if (cached == null) {
      cached = run(schemaJson);
      synchronized (RESULTS) {
        RESULTS.put(schemaJson, cached);
      }
    }
    return cached.startsWith("!") ? new Result(null, cached.substring(1)) : new Result(cached, null);
  }

  private static String run(String schemaJson) throws IOException {
    // Not named "llama*": java-llama.cpp's loader deletes such files from the temp directory (see ChildJvm).
    Path dir = Files.createTempDirectory("memorall-schema-grammar-");
    ChildJvm.Output child;
    try {
      child = ChildJvm.run(SchemaGrammar.class, "32m", List.of(dir.toString()),
        schemaJson.getBytes(StandardCharsets.UTF_8), TIMEOUT_S);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    if (child.timedOut()) {
      throw new IOException("converting the JSON schema took longer than " + TIMEOUT_S + " s");
    }
    String output = child.text();
    if (output.contains("failed to parse grammar")) { // llama.cpp would then decode unconstrained
      int at = output.indexOf("parse: error parsing grammar:");
      String why = at < 0 ? "" : ": " + output.substring(at + 29, output.indexOf('\n', at) < 0 ? output.length()
        : output.indexOf('\n', at)).trim();
      return "!llama.cpp cannot parse the grammar made from it" + why;
    }
    int begin = output.indexOf(BEGIN);
    int end = output.lastIndexOf(END);
    if (begin >= 0 && end > begin) {
      return output.substring(begin + BEGIN.length(), end);
    }
    if (ChildJvm.couldNotStart(output)) {
      throw new IOException("cannot start a JVM to convert the JSON schema (class path not usable)");
    }
    return "!" + explain(output);
  }

  /** llama.cpp's message: the text after "what():" (with its next line), else the end of the output. */
  private static String explain(String output) {
    int at = output.indexOf("what():");
    if (at < 0) {
      return "llama.cpp's converter crashed on it (an unsupported construct?)";
    }
    String msg = output.substring(at + 7);
    msg = msg.replace("JSON schema conversion failed:", "").trim().replaceAll("\\s+", " ");
    if (msg.isEmpty()) {
      msg = "the conversion process ended without output";
    }
    return msg.length() <= 300 ? msg : msg.substring(0, 300) + "...";
  }

  /**
   * The child: reads a schema on stdin, converts it, decodes a few tokens with the grammar on the bundled model
   * (a grammar llama.cpp cannot parse is logged and then ignored; some bad grammars abort at the first token),
   * then prints the grammar between markers.
   */
  public static void main(String[] args) throws IOException {
    String schema = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    String grammar = LlamaModel.jsonSchemaToGrammar(schema);
    Path model = BundledModel.extract(Path.of(args[0]));
    LlamaModel llama = new LlamaModel(new ModelParameters().setModel(model.toString()).setCtxSize(256)
      .setParallel(1).setThreads(1).disableLog().skipWarmup());
    for (LlamaOutput ignored : llama.generate(new InferenceParameters("Once upon a time").setNPredict(8)
      .setTemperature(0).setGrammar(grammar))) {
      System.out.flush();
    }
    System.out.print(BEGIN + grammar + END);
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }
}
