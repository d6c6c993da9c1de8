package org.memorall.llm.llamacpp;

import org.memorall.llm.CollectingSink;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.eventually;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/** Start, unload, serve, delete, models and stop on real model files. */
@ExtendWith(VertxExtension.class)
class LlamaCppLifecycleTest {

  @TempDir
  Path modelsDir;
  @TempDir
  Path elsewhere;
  Harness h;

  private Harness started(Vertx vertx, JsonObject config) throws Exception {
    h = new Harness(vertx, modelsDir, config);
    await(h.start());
    return h;
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      await(h.call(h.provider::stop));
    }
  }

  @Test
  void modelsListsTheBundledModel(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    ModelList list = await(h.call(h.provider::models));
    assertEquals(1, list.getData().size());
    ModelInfo m = list.getData().get(0);
    JsonObject json = m.toJson();
    assertEquals("stories260K", m.getId());
    assertEquals("model", json.getString("object"));
    assertEquals("local", json.getString("owned_by"));
    assertTrue(m.isLoaded());
    assertEquals(1_185_376L, json.getLong("size_bytes"));
    assertEquals("llama", json.getString("architecture"));
    assertEquals(2048L, json.getLong("context_length"));
    assertEquals(modelsDir.resolve("bundled/stories260K.gguf").toString(), json.getString("path"));
  }

  @Test
  void unloadFreesTheModelAndTheNextRequestLoadsItAgain(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    await(h.call(() -> h.provider.unload("stories260K")));
    assertEquals("unloaded", h.status().getString("status"));
    assertFalse(await(h.call(h.provider::models)).getData().get(0).isLoaded());

    // Two requests at once share one reload.
    CollectingSink a = h.chat(story(8));
    CollectingSink b = h.chat(story(8));
    assertEquals(", there was a little girl", await(a.done()).getContent());
    assertEquals(", there was a little girl", await(b.done()).getContent());
    assertEquals("ready", h.status().getString("status"));

    ServiceException e = failure(h.call(() -> h.provider.unload("gpt-5")));
    assertEquals(404, e.failureCode());
    assertTrue(e.getMessage().contains("Available: stories260K"), e.getMessage());
  }

  @Test
  void unloadAbortsRunningGenerations(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    CountDownLatch firstToken = new CountDownLatch(2);
    CollectingSink running = new CollectingSink().onChunk(c -> firstToken.countDown());
    h.chat(story(2000).setStream(true), running);
    assertTrue(firstToken.await(10, TimeUnit.SECONDS));
    await(h.call(() -> h.provider.unload("stories260K")));
    ServiceException e = failure(running.done());
    assertEquals(503, e.failureCode());
    assertTrue(e.getMessage().contains("unloaded"), e.getMessage());
    assertEquals(0, h.status().getInteger("activeGenerations"));
    assertEquals(", there was a little girl", h.complete(story(8)).getContent());
  }

  @Test
  void serveLoadsAFileByPath(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    Path tiny = Files.copy(BundledModel.extract(modelsDir), Files.createDirectories(modelsDir.resolve("mine")).resolve("tiny.gguf"));
    List<ServeProgress> progress = new CopyOnWriteArrayList<>();
    ModelInfo info = await(h.call(() -> h.provider.serve(ServeRequest.path(tiny.toString()), progress::add)));
    assertEquals("tiny", info.getId());
    assertTrue(info.isLoaded());
    assertEquals(2048L, info.toJson().getLong("context_length"));
    assertEquals("loading", progress.get(0).getPhase());
    assertEquals(0.0, progress.get(0).getPercent());
    assertEquals(100.0, progress.get(progress.size() - 1).getPercent());

    assertEquals("tiny", h.status().getString("model"));
    ChatCompletionResponse r = h.complete(story(8));
    assertEquals("tiny", r.getModel());
    assertEquals(", there was a little girl", r.getContent());
    List<ModelInfo> models = await(h.call(h.provider::models)).getData();
    assertEquals(List.of("stories260K", "tiny"), models.stream().map(ModelInfo::getId).sorted().toList());
    models.forEach(m -> assertEquals(m.getId().equals("tiny"), m.isLoaded(), m.getId()));

    // A path relative to the models directory works too, and serving the loaded file again is a no-op.
    assertEquals("tiny", await(h.call(() -> h.provider.serve(ServeRequest.path("mine/tiny.gguf"), p -> { }))).getId());
  }

  @Test
  void serveRefusesWhatItCannotLoad(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    ServiceException missing = failure(h.call(() -> h.provider.serve(ServeRequest.path("/no/such/model.gguf"), p -> { })));
    assertEquals(400, missing.failureCode());
    assertEquals("path", missing.getDebugInfo().getString("param"));
    assertTrue(missing.getMessage().contains("/no/such/model.gguf"), missing.getMessage());

    Path text = Files.writeString(elsewhere.resolve("fake.gguf"), "not a model");
    ServiceException notGguf = failure(h.call(() -> h.provider.serve(ServeRequest.path(text.toString()), p -> { })));
    assertEquals(400, notGguf.failureCode());
    assertTrue(notGguf.getMessage().contains("not a GGUF file"), notGguf.getMessage());

    ServiceException nothing = failure(h.call(() -> h.provider.serve(new ServeRequest(new JsonObject().put("username", "karpathy")), p -> { })));
    assertEquals(400, nothing.failureCode());
    assertTrue(nothing.getMessage().contains("{\"path\""), nothing.getMessage());

    // The current model was not touched.
    assertEquals("ready", h.status().getString("status"));
    assertEquals("stories260K", h.status().getString("model"));
  }

  @Test
  void serveFindsAHuggingFaceRepoAlreadyOnDiskWhenTheHubIsOutOfReach(Vertx vertx) throws Exception {
    started(vertx, new JsonObject().put("hubEndpoint", "http://127.0.0.1:1")); // nothing listens on port 1
    Path dir = Files.createDirectories(modelsDir.resolve("karpathy/tinyllamas"));
    Files.copy(BundledModel.extract(modelsDir), dir.resolve("stories260K-copy.gguf"));
    ModelInfo info = await(h.call(() -> h.provider.serve(ServeRequest.repo("karpathy", "tinyllamas"), p -> { })));
    assertEquals("stories260K-copy", info.getId());
    assertEquals("stories260K-copy", h.complete(story(4)).getModel());
  }

  @Test
  void deleteUnloadsAndRemovesTheFile(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    Path tiny = Files.copy(BundledModel.extract(modelsDir), modelsDir.resolve("tiny.gguf"));
    await(h.call(() -> h.provider.serve(ServeRequest.path(tiny.toString()), p -> { })));
    await(h.call(() -> h.provider.delete("tiny")));
    assertFalse(Files.exists(tiny));
    assertEquals("unloaded", h.status().getString("status"));
    // The next request falls back to the configured (here: bundled) model.
    assertEquals("stories260K", h.complete(story(4)).getModel());

    // Deleting the bundled model removes the extracted copy; it comes back on the next load.
    await(h.call(() -> h.provider.delete("stories260K")));
    assertFalse(Files.exists(BundledModel.path(modelsDir)));
    assertEquals(0, await(h.call(h.provider::models)).getData().size());
    assertEquals(", there was a little girl", h.complete(story(8)).getContent());
    assertTrue(Files.exists(BundledModel.path(modelsDir)));

    assertEquals(404, failure(h.call(() -> h.provider.delete("tiny"))).failureCode());
  }

  @Test
  void theHuggingFaceRepoAModelCameFromNamesItForUnloadAndDelete(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    Path dir = Files.createDirectories(modelsDir.resolve("microsoft/Phi-3-mini-4k-instruct-gguf"));
    Path file = Files.copy(BundledModel.extract(modelsDir), dir.resolve("Phi-3-mini-4k-instruct-q4.gguf"));
    Path note = Files.writeString(HubDownload.shaNote(file), "0".repeat(64)); // as a verified download leaves
    await(h.call(() -> h.provider.serve(ServeRequest.path(file.toString()), p -> { })));
    assertEquals("Phi-3-mini-4k-instruct-q4", h.status().getString("model"));

    // As the spec names models: unload(llm, 'username/repo'), delete(llm, 'username/repo').
    await(h.call(() -> h.provider.unload("microsoft/Phi-3-mini-4k-instruct-gguf")));
    assertEquals("unloaded", h.status().getString("status"));
    await(h.call(() -> h.provider.delete("microsoft/Phi-3-mini-4k-instruct-gguf")));
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(note));
    assertFalse(Files.exists(modelsDir.resolve("microsoft")), "the repo's folders go with its last file");
    assertTrue(Files.exists(BundledModel.path(modelsDir)), "the other models stay");
  }

  @Test
  void aNameThatFitsSeveralFilesIsRefusedAndTheirPathsGiven(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    Path bundled = BundledModel.extract(modelsDir);
    Path alice = Files.copy(bundled, Files.createDirectories(modelsDir.resolve("alice/stories-GGUF"))
      .resolve("stories-Q4_K_M.gguf"));
    Path bob = Files.copy(bundled, Files.createDirectories(modelsDir.resolve("bob/stories-GGUF"))
      .resolve("stories-Q4_K_M.gguf"));
    await(h.call(() -> h.provider.serve(ServeRequest.path(alice.toString()), p -> { })));
    ServiceException unload = failure(h.call(() -> h.provider.unload("stories-Q4_K_M")));
    assertEquals(400, unload.failureCode(), "which one is meant is unclear, even though one is loaded");
    assertEquals("ready", h.status().getString("status"));

    ServiceException e = failure(h.call(() -> h.provider.delete("stories-Q4_K_M")));
    assertEquals(400, e.failureCode());
    assertEquals("ambiguous_model", e.getDebugInfo().getString("code"));
    assertTrue(e.getMessage().contains("alice/stories-GGUF/stories-Q4_K_M.gguf")
      && e.getMessage().contains("bob/stories-GGUF/stories-Q4_K_M.gguf"), e.getMessage());
    assertTrue(Files.exists(alice) && Files.exists(bob), "nothing deleted");

    await(h.call(() -> h.provider.delete("bob/stories-GGUF/stories-Q4_K_M.gguf")));
    assertFalse(Files.exists(bob));
    assertTrue(Files.exists(alice));
    await(h.call(() -> h.provider.delete("stories-Q4_K_M"))); // one file left by that name
    assertFalse(Files.exists(alice));
  }

  @Test
  void aSplitModelIsOneModelNamedByItsFirstPartAndDeletedWhole(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    Path bundled = BundledModel.extract(modelsDir);
    Path dir = Files.createDirectories(modelsDir.resolve("someone/big-GGUF/Q4_K_M")); // a repo with a folder per quant
    Path first = Files.copy(bundled, dir.resolve("big-Q4_K_M-00001-of-00002.GGUF")); // (the extension as uploaded)
    Path second = Files.copy(bundled, dir.resolve("big-Q4_K_M-00002-of-00002.GGUF"));
    assertEquals(List.of("big-Q4_K_M-00001-of-00002", "stories260K"), await(h.call(h.provider::models)).getData()
      .stream().map(ModelInfo::getId).sorted().toList());
    // llama.cpp loads a split model from its first part only: serving another is refused before anything changes.
    ServiceException later = failure(h.call(() -> h.provider.serve(ServeRequest.path(second.toString()), p -> { })));
    assertEquals(400, later.failureCode());
    assertTrue(later.getMessage().contains("serve its first part, big-Q4_K_M-00001-of-00002.GGUF"), later.getMessage());
    assertEquals("ready", h.status().getString("status"));

    await(h.call(() -> h.provider.delete("someone/big-GGUF")));
    assertFalse(Files.exists(first) || Files.exists(second), "both parts");
    assertFalse(Files.exists(modelsDir.resolve("someone")));
  }

  @Test
  void deleteKeepsFilesOutsideTheModelsDirectory(Vertx vertx) throws Exception {
    Path outside = Files.copy(BundledModel.extract(elsewhere), elsewhere.resolve("outside.gguf"));
    started(vertx, new JsonObject().put("model", outside.toString()));
    assertEquals("outside", h.status().getString("model"));
    ServiceException e = failure(h.call(() -> h.provider.delete("outside")));
    assertEquals(400, e.failureCode());
    assertTrue(Files.exists(outside));
    assertEquals("ready", h.status().getString("status"));

    // It is listed although it is not in the models directory, and it can be unloaded (twice).
    ModelInfo listed = await(h.call(h.provider::models)).getData().stream()
      .filter(m -> m.getId().equals("outside")).findFirst().orElseThrow();
    assertTrue(listed.isLoaded());
    await(h.call(() -> h.provider.unload("outside")));
    await(h.call(() -> h.provider.unload(outside.toString())));
    assertEquals("unloaded", h.status().getString("status"));
    assertEquals(List.of(false), await(h.call(h.provider::models)).getData().stream()
      .filter(m -> m.getId().equals("outside")).map(ModelInfo::isLoaded).toList());
  }

  @Test
  void startFailsClearlyForAMissingOrBrokenModel(Vertx vertx) throws Exception {
    Harness missing = new Harness(vertx, modelsDir, new JsonObject().put("model", "/no/such/model.gguf"));
    ServiceException e = failure(missing.start());
    assertEquals(400, e.failureCode());
    assertEquals("model", e.getDebugInfo().getString("param"));
    assertTrue(e.getMessage().contains("Model file not found: /no/such/model.gguf"), e.getMessage());
    assertEquals("failed", missing.status().getString("status"));
    assertTrue(missing.status().getString("error").contains("not found"));

    Path broken = Files.write(elsewhere.resolve("broken.gguf"), java.util.Arrays.copyOf(
      Files.readAllBytes(BundledModel.extract(elsewhere)), 4096));
    ServiceException e2 = failure(new Harness(vertx, modelsDir, new JsonObject().put("model", broken.toString())).start());
    assertTrue(e2.failureCode() == 400 || e2.failureCode() == 500, String.valueOf(e2.failureCode()));
    assertTrue(e2.getMessage().contains(broken.toString()), e2.getMessage());
  }

  @Test
  void stopEndsEverything(Vertx vertx) throws Exception {
    started(vertx, new JsonObject());
    CountDownLatch started = new CountDownLatch(1);
    CollectingSink running = new CollectingSink().onChunk(c -> started.countDown());
    h.chat(story(2000).setStream(true), running);
    assertTrue(started.await(10, TimeUnit.SECONDS));
    await(h.call(h.provider::stop));
    assertEquals(503, failure(running.done()).failureCode());
    assertEquals("unloaded", h.status().getString("status"));
    assertEquals(503, failure(h.chat(story(4)).done()).failureCode());
    h = null;
  }

  @Test
  void settingsAreApplied(Vertx vertx) throws Exception {
    // A relative model path is looked up in the models directory; nativeLog leaves llama.cpp's stderr output on.
    Files.copy(BundledModel.extract(elsewhere), modelsDir.resolve("rel.gguf"));
    started(vertx, new JsonObject().put("model", "rel.gguf").put("contextSize", 512).put("threads", 1)
      .put("nativeLog", true));
    JsonObject s = h.status();
    assertEquals("rel", s.getString("model"));
    assertEquals(512, s.getInteger("contextSize"));
    assertEquals(1, s.getInteger("threads"));
    assertEquals("rel", await(Future.succeededFuture(h.complete(story(2)).getModel())));
  }
}
