package org.memorall.llm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The build compiles every module together with the core (one jar), so the compiler cannot keep a module to
 * the core API: this test does. A module's main code may import org.memorall.llm.api and its own package only.
 */
class ModuleBoundaryTest {

  private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?(org\\.memorall\\.llm\\.[\\w.]+)", Pattern.MULTILINE);

  @Test
  void modulesImportOnlyTheCoreApi() throws IOException {
    Path modules = Paths.get("modules");
    List<Path> moduleDirs;
    try (Stream<Path> s = Files.list(modules)) {
      moduleDirs = s.filter(Files::isDirectory).toList();
    }
    assertFalse(moduleDirs.isEmpty(), "no modules found under " + modules.toAbsolutePath());
    List<String> violations = new ArrayList<>();
    for (Path module : moduleDirs) {
      Path main = module.resolve("src/main/java");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(main)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          String ownPackage = packageOf(main.relativize(file.getParent()));
          Matcher m = IMPORT.matcher(Files.readString(file));
          while (m.find()) {
            String imported = m.group(1);
            if (!imported.startsWith("org.memorall.llm.api.") && !imported.startsWith(ownPackage + ".")) {
              violations.add(modules.relativize(file) + " imports " + imported);
            }
          }
        }
      }
    }
    assertEquals(List.of(), violations, "modules may depend on the core API (org.memorall.llm.api) only");
  }

  private static String packageOf(Path relativeDir) {
    return relativeDir.toString().replace('/', '.').replace('\\', '.');
  }
}
