package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.memorall.llm.Awaits;
import org.memorall.llm.TestNode;
import org.memorall.llm.llamacpp.FakeHub;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The playground page end to end: a real headless chromium (see {@link Chromium}: skipped without one, failed on CI)
 * on a real node with the bundled model. It chats with tokens streaming in and usage shown, shows the server's
 * errors, creates an LLM, serves (from disk, and from a HuggingFace-compatible hub with the download in the progress
 * bar), unloads and deletes a model and deletes the LLM, each checked on the server, and asks for an API key.
 * Screenshots are kept in {@code target/playground/}.
 */
@ExtendWith(Chromium.class)
@ExtendWith(VertxExtension.class)
class PlaygroundBrowserTest {

  private static final Path SCREENSHOTS = Path.of("target", "playground");
  private static final long WAIT_S = 30;
  private static ChromeDriver browser;
  private static Http http;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) {
    browser = Chromium.start(); // first: without a browser there is nothing to start a node for
    TestNode.start(vertx, TestNode.defaultLlms()).onComplete(ctx.succeeding(port -> {
      http = new Http(port);
      ctx.completeNow();
    }));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void chatStreamsTheReplyAndShowsUsage() throws Exception {
    open(http.port);
    click(By.cssSelector("#llms li[data-name='default']"));
    setValue("max-tokens", "40");
    setValue("temperature", "0");
    // Counts the changes of the page's conversation: a streamed reply changes it once per token.
    browser.executeScript("window.replyUpdates = 0; new MutationObserver((records) => {"
      + " window.replyUpdates += records.length; }).observe(document.getElementById('messages'),"
      + " {childList: true, subtree: true, characterData: true});");
    browser.findElement(By.id("prompt")).sendKeys("Once upon a time");
    browser.findElement(By.id("send")).click();
    WebElement stats = waitFor("usage and tokens/s", By.cssSelector("#stats .tps"));

    JsonObject expected = Http.json(http.post("/v1/chat/completions", Http.chat("Once upon a time", 40)), 200);
    String reply = browser.findElement(By.cssSelector(".message.assistant .text")).getText();
    assertEquals(expected.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content").trim(),
      reply.trim());
    JsonObject usage = expected.getJsonObject("usage");
    assertEquals(usage.getInteger("prompt_tokens") + " prompt + " + usage.getInteger("completion_tokens")
      + " completion = " + usage.getInteger("total_tokens") + " tokens", text("#stats .usage"));
    assertTrue(stats.getText().matches("\\d+\\.\\d tokens/s"), stats.getText());
    assertTrue(text("#stats .llm").endsWith("default"), text("#stats .llm"));
    long updates = ((Number) browser.executeScript("return window.replyUpdates")).longValue();
    // The user's message, the empty reply, then the reply's text replaced once per streamed chunk.
    assertTrue(updates >= 2 + usage.getInteger("completion_tokens") / 2, "DOM updates while streaming: " + updates);
    screenshot("chat.png");

    // A second turn carries the conversation: the server sees both messages.
    browser.findElement(By.id("prompt")).sendKeys("The end");
    browser.findElement(By.id("send")).click();
    Awaits.eventually("a second reply", WAIT_S, () -> browser.findElements(By.cssSelector(".message.assistant")).size() == 2
      && !browser.findElements(By.cssSelector("#stats .tps")).isEmpty());
    assertEquals(4, browser.findElements(By.cssSelector(".message")).size());
    assertTrue(Integer.parseInt(text("#stats .usage").split(" ")[0]) > usage.getInteger("prompt_tokens"),
      text("#stats .usage"));
  }

  @Test
  void stopCancelsTheGenerationAndModelTextIsNeverMarkup() throws Exception {
    Http.json(http.post("/llms", new JsonObject().put("name", "ticking").put("type", "custom")
      .put("config", new JsonObject().put("class", TickingProvider.class.getName()))), 201);
    try {
      int cancelled = TickingProvider.CANCELLED.get();
      open(http.port);
      click(By.cssSelector("#llms li[data-name='ticking']"));
      browser.findElement(By.id("prompt")).sendKeys("Hello");
      browser.findElement(By.id("send")).click();
      Awaits.eventually("three ticks on the page", WAIT_S,
        () -> text(".message.assistant .text").split("tick</b>", -1).length > 3);
      assertEquals(1, Http.json(http.get("/llms/ticking"), 200).getInteger("inFlight"));

      browser.findElement(By.id("stop")).click();
      Awaits.eventually("the server cancelled the generation", WAIT_S, () -> TickingProvider.CANCELLED.get() > cancelled);
      Awaits.eventually("the slot is free", WAIT_S,
        () -> Http.json(http.get("/llms/ticking"), 200).getInteger("inFlight") == 0);
      String reply = text(".message.assistant .text");
      assertTrue(reply.startsWith(TickingProvider.TICK.trim()) && reply.endsWith("[stopped]"), reply);
      assertTrue(browser.findElements(By.cssSelector("#messages b, #messages img")).isEmpty(),
        "model text became markup");
      assertEquals("stopped", text("#stats"));
      assertTrue(browser.findElement(By.id("send")).isEnabled());
      assertFalse(browser.findElement(By.id("stop")).isEnabled());
    } finally {
      http.delete("/llms/ticking");
    }
  }

  @Test
  void serverErrorsAreShownFromTheErrorBody() {
    open(http.port);
    click(By.cssSelector("#llms li[data-name='default']"));
    setValue("temperature", "3");
    browser.findElement(By.id("prompt")).sendKeys("Hello");
    browser.findElement(By.id("send")).click();
    WebElement error = waitFor("the error", By.cssSelector("#error:not([hidden])"));
    JsonObject expected = Http.error(http.post("/v1/chat/completions", Http.chat("Hello", 4).put("temperature", 3)), 400);
    assertEquals("400 " + expected.getString("code") + ": " + expected.getString("message"), error.getText());
    assertTrue(browser.findElement(By.id("send")).isEnabled());
  }

  @Test
  void createsAnLlmServesUnloadsAndDeletesThroughThePage() throws Exception {
    // A copy of the bundled model in the models directory, to serve and then delete.
    Path bundled = Path.of(ManagementRoutesTest.byField(Http.json(http.get("/llms/default/models"), 200)
      .getJsonArray("data"), "id", "stories260K").getString("path"));
    Path copy = Files.createDirectories(bundled.getParent().getParent().resolve("playground")).resolve("small.gguf");
    Files.copy(bundled, copy, StandardCopyOption.REPLACE_EXISTING);
    String id = "small"; // a model's id is its file name without .gguf

    open(http.port);
    setValue("create-name", "pg");
    setValue("create-type", "llamacpp");
    setValue("create-config", "{\"parallel\": 1}");
    browser.findElement(By.id("create")).click();
    waitFor("the new LLM, selected", By.cssSelector("#llms li.selected[data-name='pg']"));
    assertEquals("ready", Http.json(http.get("/llms/pg"), 200).getString("status"));
    assertEquals("pg", text("#models-llm"));

    setValue("serve-source", copy.toString());
    browser.findElement(By.id("serve")).click();
    Awaits.eventually("serve reaches ready", WAIT_S, () -> text("#serve-status").startsWith("ready"));
    assertEquals("100", browser.findElement(By.id("serve-progress")).getDomProperty("value"));
    assertTrue(text("#serve-status").endsWith(id), text("#serve-status"));
    assertTrue(model("pg", id).getBoolean("loaded", false), () -> model("pg", id).encode());
    waitFor("the model shown loaded", By.cssSelector("#models li[data-id='" + id + "'][data-loaded='true']"));
    screenshot("manage.png");

    click(By.cssSelector("#models li[data-id='" + id + "'] button.unload"));
    waitFor("the model shown unloaded", By.cssSelector("#models li[data-id='" + id + "'][data-loaded='false']"));
    assertFalse(model("pg", id).getBoolean("loaded", false), () -> model("pg", id).encode());

    click(By.cssSelector("#models li[data-id='" + id + "'] button.delete"));
    browser.switchTo().alert().accept();
    Awaits.eventually("the model gone from the page", WAIT_S,
      () -> browser.findElements(By.cssSelector("#models li[data-id='" + id + "']")).isEmpty());
    assertFalse(Files.exists(copy));
    assertTrue(models("pg").stream().noneMatch(m -> id.equals(((JsonObject) m).getString("id"))));

    click(By.id("delete-llm"));
    browser.switchTo().alert().accept();
    Awaits.eventually("the LLM gone from the page", WAIT_S,
      () -> browser.findElements(By.cssSelector("#llms li[data-name='pg']")).isEmpty());
    Http.error(http.get("/llms/pg"), 404);
    assertTrue(browser.findElement(By.id("error")).getDomProperty("hidden").equals("true"), text("#error"));
  }

  @Test
  void servesFromTheHubWithTheDownloadInTheProgressBar(Vertx vertx) throws Exception {
    FakeHub hub = new FakeHub(vertx).repo("karpathy/tinyllamas",
      Map.of("stories260K-Q4_K_M.gguf", FakeHub.bundledModel())).start().await(10, TimeUnit.SECONDS);
    hub.chunkDelayMs = 50; // 32 KB every 50 ms: about two seconds for the 1.2 MB model
    try {
      open(http.port);
      setValue("create-name", "hub");
      setValue("create-config", new JsonObject().put("parallel", 1).put("hubEndpoint", hub.endpoint()).encode());
      browser.findElement(By.id("create")).click();
      waitFor("the new LLM, selected", By.cssSelector("#llms li.selected[data-name='hub']"));

      setValue("serve-source", "karpathy/tinyllamas");
      browser.findElement(By.id("serve")).click();
      Awaits.eventually("the bar part way through the download", WAIT_S, () -> {
        double value = Double.parseDouble(browser.findElement(By.id("serve-progress")).getDomProperty("value"));
        return value > 0 && value < 100 && text("#serve-status").startsWith("downloading");
      });
      assertTrue(text("#serve-status").matches("downloading · [\\d.]+ % · [\\d.]+ [KM]?B of 1\\.1 MB.*"),
        text("#serve-status"));
      screenshot("download.png");
      Awaits.eventually("serve reaches ready", WAIT_S, () -> text("#serve-status").startsWith("ready"));
      assertEquals("100", browser.findElement(By.id("serve-progress")).getDomProperty("value"));
      assertTrue(model("hub", "stories260K-Q4_K_M").getBoolean("loaded", false));
    } finally {
      http.delete("/llms/hub");
      hub.stop();
    }
  }

  @Test
  void withApiKeysAndCorsThePageAsksForTheKeyThenWorks() throws Exception {
    Vertx other = Vertx.vertx(); // a second node: its own event bus
    try {
      // CORS for another origin: the page's own calls are same-origin and must not be refused.
      JsonObject config = TestNode.config(TestNode.defaultLlms())
        .put("auth", new JsonObject().put("apiKeys", new JsonArray().add("sk-playground")))
        .put("cors", new JsonObject().put("allowedOrigins", new JsonArray().add("https://app.example.com")));
      int port = TestNode.deploy(other, config).await(60, TimeUnit.SECONDS);
      open(port);
      WebElement error = waitFor("the 401", By.cssSelector("#error:not([hidden])"));
      assertTrue(error.getText().startsWith("401 invalid_api_key"), error.getText());
      assertTrue(browser.findElements(By.cssSelector("#llms li")).isEmpty());

      browser.findElement(By.id("api-key")).sendKeys("sk-playground\t"); // tab: the change event
      waitFor("the LLMs, listed with the key", By.cssSelector("#llms li[data-name='default']"));
      assertEquals("true", browser.findElement(By.id("error")).getDomProperty("hidden"));
      assertEquals("sk-playground", browser.executeScript("return sessionStorage.getItem('llm-runtime.apiKey')"));

      setValue("max-tokens", "8");
      browser.findElement(By.id("prompt")).sendKeys("Once upon a time");
      browser.findElement(By.id("send")).click();
      waitFor("a reply with its usage", By.cssSelector("#stats .tps"));
      assertFalse(text(".message.assistant .text").isBlank());
    } finally {
      browser.executeScript("sessionStorage.clear()");
      other.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Loads the page and waits until its LLM list came from the server (or an error did). */
  private static void open(int port) {
    browser.get("http://127.0.0.1:" + port + "/");
    assertEquals("llm-runtime playground", browser.getTitle());
    try {
      Awaits.eventually("the page's first answer", WAIT_S, () -> !browser.findElements(By.cssSelector("#llms li")).isEmpty()
        || !browser.findElements(By.cssSelector("#error:not([hidden])")).isEmpty());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static WebElement waitFor(String what, By by) {
    try {
      Awaits.eventually(what, WAIT_S, () -> !browser.findElements(by).isEmpty());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return browser.findElement(by);
  }

  private static void click(By by) {
    waitFor(by.toString(), by).click();
  }

  private static void setValue(String id, String value) {
    WebElement field = browser.findElement(By.id(id));
    field.clear();
    field.sendKeys(value);
  }

  private static String text(String css) {
    try {
      return browser.findElement(By.cssSelector(css)).getText();
    } catch (WebDriverException e) {
      return "";
    }
  }

  private static JsonArray models(String llm) {
    return Http.json(http.get("/llms/" + llm + "/models"), 200).getJsonArray("data");
  }

  private static JsonObject model(String llm, String id) {
    return ManagementRoutesTest.byField(models(llm), "id", id);
  }

  private static void screenshot(String name) throws Exception {
    Files.createDirectories(SCREENSHOTS);
    Files.write(SCREENSHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
  }
}
