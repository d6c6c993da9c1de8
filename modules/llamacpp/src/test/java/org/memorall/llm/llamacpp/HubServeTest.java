package org.memorall.llm.llamacpp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ServeProgress;
import org.memorall.llm.api.ServeRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.eventually;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/** serve from a HuggingFace-compatible Hub (FakeHub on loopback): download, resume, verify, share, load. */
@ExtendWith(VertxExtension.class)
class HubServeTest {

  static final String REPO = "karpathy/tinyllamas";
  static final String Q4 = "stories260K-Q4_K_M.gguf";
  static final String Q8 = "stories260K-Q8_0.gguf";
  static final byte[] MODEL = FakeHub.bundledModel();
  static final String TOKEN = "hf_testSecretToken123";

  @TempDir
  Path modelsDir;
  FakeHub hub;
  final List<Harness> harnesses = new ArrayList<>();
  final List<String> logged = new CopyOnWriteArrayList<>();
  final Handler capture = new Handler() {
    public void publish(LogRecord r) {
      logged.add(r.getMessage() + " " + (r.getThrown() == null ? "" : r.getThrown()));
    }

    public void flush() {
    }

    public void close() {
    }
  };

  @BeforeEach
  void startHub(Vertx vertx) throws Exception {
    hub = await(new FakeHub(vertx).repo(REPO, Map.of(Q8, MODEL, Q4, MODEL, "README.md", "# tiny".getBytes())).start());
    Logger.getLogger("").addHandler(capture);
  }

  @AfterEach
  void stopAll() throws Exception {
    Logger.getLogger("").removeHandler(capture);
    System.clearProperty("HF_TOKEN");
    for (Harness h : harnesses) {
      await(h.call(h.provider::stop));
    }
    hub.stop();
  }

  private Harness started(Vertx vertx) throws Exception {
    Harness h = new Harness(vertx, modelsDir, new JsonObject().put("hubEndpoint", hub.endpoint()).put("parallel", 1));
    harnesses.add(h);
    await(h.start());
    return h;
  }

  private static Future<ModelInfo> serve(Harness h, JsonObject request, List<ServeProgress> progress) {
    return h.call(() -> h.provider.serve(new ServeRequest(request), progress::add));
  }

  private Path repoDir() {
    return modelsDir.resolve(REPO);
  }

  @Test
  void downloadsTheQ4KMFileWithProgressVerifiesAndServesIt(Vertx vertx) throws Exception {
    System.setProperty("HF_TOKEN", TOKEN);
    hub.chunkDelayMs = 20;
    Harness h = started(vertx);
    List<ServeProgress> progress = new CopyOnWriteArrayList<>();
    Future<ModelInfo> served = serve(h, new JsonObject().put("username", "karpathy").put("repo", "tinyllamas"), progress);
    // The loading state is visible in the LLM's info while it happens.
    eventually("status shows the download", () -> {
      JsonObject serving = h.status().getJsonObject("serving");
      return serving != null && "downloading".equals(serving.getString("phase"));
    });
    ModelInfo info = await(served);
    assertEquals("stories260K-Q4_K_M", info.getId());
    assertTrue(info.isLoaded());
    assertEquals(repoDir().resolve(Q4).toString(), info.toJson().getString("path"));
    assertNull(h.status().getJsonObject("serving"));

    List<String> phases = progress.stream().map(ServeProgress::getPhase).distinct().toList();
    assertEquals(List.of("resolving", "downloading", "verifying", "loading"), phases);
    double percent = -1;
    long bytes = -1;
    for (ServeProgress p : progress) {
      assertTrue(p.getPercent() >= percent, "percent went back: " + progress);
      long b = p.toJson().getLong("bytes");
      assertTrue(b >= bytes, "bytes went back: " + progress);
      percent = p.getPercent();
      bytes = b;
    }
    assertEquals(100.0, percent);
    assertEquals(MODEL.length, bytes);
    long downloading = progress.stream().filter(p -> p.getPhase().equals("downloading")).count();
    assertTrue(downloading >= 3 && downloading < 40, "throttled progress: " + downloading + " events");
    JsonObject mid = progress.stream().filter(p -> p.getPhase().equals("downloading") && p.getPercent() > 0
      && p.getPercent() < 100).findFirst().orElseThrow().toJson();
    assertTrue(mid.getLong("bytesPerSecond") > 0, mid.encode());
    assertTrue(mid.containsKey("etaSeconds"), mid.encode());
    assertEquals(MODEL.length, mid.getLong("total"));

    // Only the chosen file was fetched, once; nothing temporary is left.
    assertEquals(1, hub.downloads(Q4).size());
    assertEquals(0, hub.downloads(Q8).size());
    assertFalse(Files.exists(repoDir().resolve(Q4 + ".part")));
    assertEquals(FakeHub.sha256(MODEL), FakeHub.sha256(Files.readAllBytes(repoDir().resolve(Q4))));

    assertEquals(", there was a little girl", h.complete(story(8)).getContent());
    assertEquals("stories260K-Q4_K_M", h.status().getString("model"));

    // The token went to the Hub (API and resolve) but not to the CDN, another origin; it is never logged.
    hub.hits.forEach(hit -> assertEquals(hit.server().equals("hub") ? "Bearer " + TOKEN : null, hit.authorization(),
      hit.toString()));
    logged.forEach(line -> assertFalse(line.contains(TOKEN), line));
    progress.forEach(p -> assertFalse(p.toString().contains(TOKEN)));
    assertFalse(h.status().encode().contains(TOKEN));
  }

  @Test
  void aCutDownloadFailsThenResumesWithARangeRequest(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    hub.cutAfter = MODEL.length / 2;
    JsonObject request = new JsonObject().put("repo", REPO + "/" + Q8);
    ServiceException e = failure(serve(h, request, new ArrayList<>()));
    assertEquals(503, e.failureCode());
    assertEquals("download_interrupted", e.getDebugInfo().getString("code"));
    assertTrue(e.getMessage().contains("serve again to resume"), e.getMessage());
    Path part = repoDir().resolve(Q8 + ".part");
    long have = Files.size(part);
    assertTrue(have > 0 && have <= MODEL.length / 2, "part of " + have);
    assertFalse(Files.exists(repoDir().resolve(Q8)));
    assertEquals("stories260K", h.status().getString("model")); // nothing partial was loaded

    List<ServeProgress> progress = new CopyOnWriteArrayList<>();
    ModelInfo info = await(serve(h, request, progress));
    assertEquals("stories260K-Q8_0", info.getId());
    List<FakeHub.Hit> gets = hub.downloads(Q8);
    assertEquals(2, gets.size());
    assertNull(gets.get(0).range());
    assertEquals("bytes=" + have + "-", gets.get(1).range());
    assertEquals(MODEL.length - have, gets.get(1).bytesSent().get()); // only the rest was transferred
    // Progress starts from what was on disk, not from zero.
    ServeProgress firstDownloading = progress.stream().filter(p -> p.getPhase().equals("downloading")).findFirst().orElseThrow();
    assertEquals(have, firstDownloading.toJson().getLong("bytes"));
    assertEquals(FakeHub.sha256(MODEL), FakeHub.sha256(Files.readAllBytes(repoDir().resolve(Q8))));
    assertEquals(", there was a little girl", h.complete(story(8)).getContent());
  }

  @Test
  void aChecksumMismatchIsRejectedAndNothingIsLoaded(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    hub.corrupt = true;
    ServiceException e = failure(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>()));
    assertEquals(502, e.failureCode());
    assertEquals("checksum_mismatch", e.getDebugInfo().getString("code"));
    assertTrue(e.getMessage().contains(FakeHub.sha256(MODEL)), e.getMessage());
    assertFalse(Files.exists(repoDir().resolve(Q4)));
    assertFalse(Files.exists(repoDir().resolve(Q4 + ".part")));
    assertEquals("stories260K", h.status().getString("model"));
    assertEquals("ready", h.status().getString("status"));
    assertEquals(List.of("stories260K"), await(h.call(h.provider::models)).getData().stream().map(ModelInfo::getId).toList());

    // Fixed at the source, the next serve downloads it anew from the start.
    hub.corrupt = false;
    assertEquals("stories260K-Q4_K_M", await(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>())).getId());
    assertNull(hub.downloads(Q4).get(1).range());
  }

  @Test
  void concurrentServesShareOneDownload(Vertx vertx) throws Exception {
    hub.chunkDelayMs = 20;
    Harness a = started(vertx);
    Harness b = started(vertx); // another LLM on the same models directory
    List<ServeProgress> pa = new CopyOnWriteArrayList<>();
    List<ServeProgress> pb = new CopyOnWriteArrayList<>();
    Future<ModelInfo> fa = serve(a, new JsonObject().put("repo", REPO), pa);
    eventually("the download started", () -> hub.downloads(Q4).size() == 1);
    Future<ModelInfo> fb = serve(b, new JsonObject().put("username", "karpathy").put("repo", "tinyllamas")
      .put("file", Q4), pb);
    Future<ModelInfo> fa2 = serve(a, new JsonObject().put("repo", REPO), new ArrayList<>());
    assertEquals("stories260K-Q4_K_M", await(fa).getId());
    assertEquals("stories260K-Q4_K_M", await(fb).getId());
    assertEquals("stories260K-Q4_K_M", await(fa2).getId());
    assertEquals(1, hub.downloads(Q4).size(), "one GET of the file: " + hub.hits);
    for (List<ServeProgress> p : List.of(pa, pb)) {
      assertTrue(p.stream().anyMatch(x -> x.getPhase().equals("downloading")), p.toString());
      assertEquals(100.0, p.get(p.size() - 1).getPercent());
    }
    assertEquals(", there was a little girl", a.complete(story(8)).getContent());
    assertEquals(", there was a little girl", b.complete(story(8)).getContent());
  }

  @Test
  void unknownRepoOrFileIs404NamingTheGgufFiles(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    ServiceException repo = failure(serve(h, new JsonObject().put("repo", "karpathy/nope"), new ArrayList<>()));
    assertEquals(404, repo.failureCode());
    assertTrue(repo.getMessage().contains("karpathy/nope"), repo.getMessage());

    ServiceException file = failure(serve(h, new JsonObject().put("repo", REPO).put("file", "stories260K-Q2_K.gguf"), new ArrayList<>()));
    assertEquals(404, file.failureCode());
    assertEquals("file", file.getDebugInfo().getString("param"));
    assertTrue(file.getMessage().contains("GGUF files: " + Q4 + ", " + Q8), file.getMessage());

    ServiceException rev = failure(serve(h, new JsonObject().put("repo", REPO).put("revision", "v9"), new ArrayList<>()));
    assertEquals(404, rev.failureCode());
    assertTrue(rev.getMessage().contains("'v9'"), rev.getMessage());
    assertEquals("stories260K", h.status().getString("model"));
  }

  @Test
  void pathTraversalAndAbsolutePathsAre400(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    List<JsonObject> bad = List.of(
      new JsonObject().put("username", "..").put("repo", "x"),
      new JsonObject().put("username", "karpathy").put("repo", "../../etc"),
      new JsonObject().put("repo", REPO).put("file", "../../../x.gguf"),
      new JsonObject().put("repo", REPO).put("file", "/etc/passwd"),
      new JsonObject().put("repo", REPO + "/../x.gguf"),
      new JsonObject().put("repo", "/abs/repo"),
      new JsonObject().put("repo", REPO).put("revision", "../main"),
      new JsonObject().put("model", "..\\..\\x"));
    for (JsonObject request : bad) {
      ServiceException e = failure(serve(h, request, new ArrayList<>()));
      assertEquals(400, e.failureCode(), request.encode() + ": " + e.getMessage());
      assertNotNull(e.getDebugInfo().getString("param"), request.encode());
    }
    assertEquals(List.of(), hub.hits, "nothing bad reached the Hub");
  }

  @Test
  void unloadKeepsTheFileDeleteRemovesItAndOfflineServeUsesTheCopyOnDisk(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    await(serve(h, new JsonObject().put("model", REPO + "/" + Q8), new ArrayList<>()));
    ModelInfo listed = await(h.call(h.provider::models)).getData().stream()
      .filter(m -> m.getId().equals("stories260K-Q8_0")).findFirst().orElseThrow();
    assertTrue(listed.isLoaded());
    assertEquals((long) MODEL.length, listed.toJson().getLong("size_bytes"));
    assertEquals(2048L, listed.toJson().getLong("context_length"));

    await(h.call(() -> h.provider.unload("stories260K-Q8_0")));
    assertEquals("unloaded", h.status().getString("status"));
    assertTrue(Files.exists(repoDir().resolve(Q8)));
    // The next request loads it again, from disk.
    assertEquals("stories260K-Q8_0", h.complete(story(4)).getModel());

    // With the Hub out of reach, serve uses the verified copy already in the repo's folder.
    hub.stop();
    assertEquals("stories260K-Q8_0", await(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>())).getId());

    await(h.call(() -> h.provider.delete(REPO + "/" + Q8)));
    assertFalse(Files.exists(repoDir().resolve(Q8)));
    assertEquals("stories260K", h.complete(story(4)).getModel()); // back to the configured model
    ServiceException offline = failure(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>()));
    assertEquals(503, offline.failureCode());
    assertTrue(offline.getMessage().contains("Cannot reach the Hub"), offline.getMessage());
  }

  @Test
  void aFullDiskIsAClearErrorAndThePartialFileIsRemoved(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    // The part file is a link to /dev/full, where every write fails with ENOSPC ("No space left on device").
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "needs Linux's /dev/full");
    Path part = Files.createDirectories(repoDir()).resolve(Q8 + ".part");
    Files.createSymbolicLink(part, Path.of("/dev/full"));
    ServiceException e = failure(serve(h, new JsonObject().put("repo", REPO + "/" + Q8), new ArrayList<>()));
    assertEquals(507, e.failureCode());
    assertEquals("disk_full", e.getDebugInfo().getString("code"));
    assertTrue(e.getMessage().contains("No space left") && e.getMessage().contains("partial file was removed"), e.getMessage());
    assertFalse(Files.exists(part, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(repoDir().resolve(Q8)));
    assertEquals("stories260K", h.status().getString("model"));
  }

  @Test
  void aSilentConnectionIsGivenUpAndResumedLater(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    long before = HubDownload.stallTimeoutMs;
    HubDownload.stallTimeoutMs = 300;
    try {
      hub.stallAfter = 100_000;
      ServiceException e = failure(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>()));
      assertEquals(503, e.failureCode());
      assertTrue(e.getMessage().contains("no data for"), e.getMessage());
      assertEquals(100_000, Files.size(repoDir().resolve(Q4 + ".part")));
    } finally {
      HubDownload.stallTimeoutMs = before;
    }
    assertEquals("stories260K-Q4_K_M", await(serve(h, new JsonObject().put("repo", REPO), new ArrayList<>())).getId());
    assertEquals("bytes=100000-", hub.downloads(Q4).get(1).range());
  }

  @Test
  void aFileAlreadyInPlaceIsReusedUnlessTheHubPublishesAnotherChecksum(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    JsonObject request = new JsonObject().put("repo", REPO + "/" + Q8);
    await(serve(h, request, new ArrayList<>()));
    List<ServeProgress> again = new CopyOnWriteArrayList<>();
    await(serve(h, request, again));
    assertEquals(1, hub.downloads(Q8).size(), "in place: not downloaded again");
    assertEquals(100.0, again.get(again.size() - 1).getPercent());
    // A new revision changes the file (same size, other bytes): it is downloaded again.
    byte[] changed = MODEL.clone();
    changed[changed.length - 1] ^= 1;
    hub.repo(REPO, Map.of(Q8, changed, Q4, MODEL));
    await(serve(h, request, new ArrayList<>()));
    assertEquals(2, hub.downloads(Q8).size());
    assertEquals(FakeHub.sha256(changed), FakeHub.sha256(Files.readAllBytes(repoDir().resolve(Q8))));
    // The loaded model was the old file: it is loaded again from the new one.
    assertEquals(2, logged.stream().filter(l -> l.contains("': loaded stories260K-Q8_0 (")).count(), logged::toString);
    assertEquals("stories260K-Q8_0", h.complete(story(4)).getModel());
  }

  @Test
  void aPartAnotherProcessIsWritingIsLeftAlone(Vertx vertx) throws Exception {
    Harness h = started(vertx);
    Path part = Files.createDirectories(repoDir()).resolve(Q8 + ".part");
    Files.write(part, java.util.Arrays.copyOf(MODEL, 1000));
    try (java.nio.channels.FileChannel other = java.nio.channels.FileChannel.open(part, java.nio.file.StandardOpenOption.WRITE);
         java.nio.channels.FileLock lock = other.lock()) {
      ServiceException e = failure(serve(h, new JsonObject().put("repo", REPO + "/" + Q8), new ArrayList<>()));
      assertEquals(409, e.failureCode());
      assertTrue(e.getMessage().contains("being downloaded by another process"), e.getMessage());
      assertEquals(1000, Files.size(part));
    }
    assertEquals("stories260K-Q8_0", await(serve(h, new JsonObject().put("repo", REPO + "/" + Q8), new ArrayList<>())).getId());
    assertEquals("bytes=1000-", hub.downloads(Q8).get(1).range());
  }
}
