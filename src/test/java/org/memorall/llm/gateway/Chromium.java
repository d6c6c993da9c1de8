package org.memorall.llm.gateway;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A headless chromium driven through its chromedriver (Debian's {@code chromium} and {@code chromium-driver},
 * which {@code .ci/run} installs). As an extension ({@code @ExtendWith(Chromium.class)}) it skips the tests of a
 * class where they are missing, with the reason, except on CI ({@code CI=true}), where a missing browser is a
 * failure: a browser test that silently never runs proves nothing. {@code CHROME_BIN} and {@code CHROMEDRIVER} name
 * other executables.
 */
final class Chromium implements ExecutionCondition {

  /** Selenium warns that it has no DevTools support for this chromium version; WebDriver, all these tests use, works. */
  private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools");

  static {
    CDP_LOG.setLevel(Level.SEVERE);
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    String missing = missing();
    if (missing != null && !onCi()) {
      return ConditionEvaluationResult.disabled(missing);
    }
    return ConditionEvaluationResult.enabled(missing == null ? "chromium found" : "CI=true: start() fails");
  }

  /** A new headless browser with a fresh profile; fails when chromium or chromedriver is missing. */
  static ChromeDriver start() {
    String missing = missing();
    if (missing != null) {
      fail((onCi() ? "CI=true and " : "") + missing);
    }
    Path profile;
    try {
      profile = Files.createTempDirectory(Files.createDirectories(Path.of("target", "playground")), "chromium-profile");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions()
      .setBinary(browser().orElseThrow().toFile())
      .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1024", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(driver().orElseThrow().toFile())
      .usingAnyFreePort()
      .build();
    ChromeDriver chrome = new ChromeDriver(service, options);
    chrome.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return chrome;
  }

  /** Why there is no browser to drive, or null. */
  private static String missing() {
    if (browser().isPresent() && driver().isPresent()) {
      return null;
    }
    return "the browser tests need chromium and chromedriver on the PATH (apt-get install chromium chromium-driver); "
      + "missing:" + (browser().isEmpty() ? " chromium" : "") + (driver().isEmpty() ? " chromedriver" : "");
  }

  private static boolean onCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private static Optional<Path> browser() {
    return executable("CHROME_BIN", "chromium", "chromium-browser", "google-chrome");
  }

  private static Optional<Path> driver() {
    return executable("CHROMEDRIVER", "chromedriver");
  }

  /** The executable named by {@code variable}, else the first of {@code names} found on the PATH. */
  private static Optional<Path> executable(String variable, String... names) {
    String named = System.getenv(variable);
    if (named != null && !named.isBlank()) {
      return Optional.of(Path.of(named)).filter(Files::isExecutable);
    }
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Stream.of(path.split(java.io.File.pathSeparator))
      .filter(dir -> !dir.isEmpty())
      .flatMap(dir -> List.of(names).stream().map(name -> Path.of(dir, name)))
      .filter(Files::isExecutable)
      .findFirst();
  }
}
