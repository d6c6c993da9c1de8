package org.memorall.llm.llamacpp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A HuggingFace-compatible Hub for tests, on 127.0.0.1 at ports chosen at run time, with the Hub's URL layout:
 * {@code /api/models/{user}/{repo}[/revision/{rev}]} (siblings with sizes and LFS SHA-256, as with
 * {@code ?blobs=true}) and {@code /{user}/{repo}/resolve/{rev}/{file}}, which answers 302 to a second server
 * playing the CDN (another origin, like cdn-lfs.hf.co) with the Hub's headers (ETag, X-Linked-Etag, X-Linked-Size).
 * The CDN serves the bytes with Content-Length, Accept-Ranges and Range support. Switches cut a download
 * half-way, serve wrong bytes, or send slowly. Every request is recorded.
 */
public final class FakeHub {

  /** One request as the fake saw it; {@code bytesSent} counts body bytes written. */
  public record Hit(String server, String method, String path, String range, String authorization, AtomicLong bytesSent) {
  }

  public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

  private final Vertx vertx;
  private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
  public final List<Hit> hits = new CopyOnWriteArrayList<>();
  private HttpServer hub;
  private HttpServer cdn;

  /** Cut the connection after this many body bytes of the next file response (then reset to -1). */
  public volatile long cutAfter = -1;
  /** Send this many body bytes of the next file response, then nothing more without closing (then reset to -1). */
  public volatile long stallAfter = -1;
  /** Serve the files with one byte changed (same length): a checksum mismatch. */
  public volatile boolean corrupt;
  /** Milliseconds between 32 KB chunks; 0 sends at once. */
  public volatile long chunkDelayMs;

  public FakeHub(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The bundled model's real bytes. */
  public static byte[] bundledModel() {
    try (InputStream in = FakeHub.class.getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public FakeHub repo(String id, Map<String, byte[]> files) {
    repos.put(id, new ConcurrentHashMap<>(files));
    return this;
  }

  public Future<FakeHub> start() {
    return vertx.createHttpServer().requestHandler(r -> handle("hub", r)).listen(0, "127.0.0.1")
      .compose(h -> {
        hub = h;
        return vertx.createHttpServer().requestHandler(r -> handle("cdn", r)).listen(0, "127.0.0.1");
      })
      .map(c -> {
        cdn = c;
        return this;
      });
  }

  public void stop() throws Exception {
    if (hub != null) {
      hub.close().await(10, TimeUnit.SECONDS);
    }
    if (cdn != null) {
      cdn.close().await(10, TimeUnit.SECONDS);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + hub.actualPort();
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The CDN's GETs of {@code file}. */
  public List<Hit> downloads(String file) {
    return hits.stream().filter(h -> h.server.equals("cdn") && h.path.endsWith("/" + file)).collect(Collectors.toList());
  }

  private void handle(String server, HttpServerRequest request) {
    String path = URLDecoder.decode(request.path(), StandardCharsets.UTF_8);
    Hit hit = new Hit(server, request.method().name(), path, request.getHeader("Range"),
      request.getHeader("Authorization"), new AtomicLong());
    hits.add(hit);
    HttpServerResponse response = request.response();
    String[] p = path.substring(1).split("/", -1);
    if (server.equals("hub") && p.length >= 4 && p[0].equals("api") && p[1].equals("models")) {
      String rev = p.length >= 6 && p[4].equals("revision") ? p[5] : "main";
      api(p[2] + "/" + p[3], rev, response);
    } else if (server.equals("hub") && p.length >= 5 && p[2].equals("resolve")) {
      resolve(p[0] + "/" + p[1], p[3], String.join("/", List.of(p).subList(4, p.length)), response);
    } else if (server.equals("cdn") && p.length >= 5 && p[0].equals("repos")) {
      file(p[1] + "/" + p[2], String.join("/", List.of(p).subList(4, p.length)), request, hit);
    } else {
      response.setStatusCode(404).end("{\"error\":\"Not found\"}");
    }
  }

  private void api(String repo, String rev, HttpServerResponse response) {
    Map<String, byte[]> files = repos.get(repo);
    if (files == null) {
      // The real Hub answers 401 for a repo that does not exist (and for private ones), with this error code.
      response.setStatusCode(401).putHeader("X-Error-Code", "RepoNotFound").end("{\"error\":\"Repository Not Found\"}");
      return;
    }
    if (!rev.equals("main") && !rev.equals(COMMIT)) {
      response.setStatusCode(404).putHeader("X-Error-Code", "RevisionNotFound").end("{\"error\":\"Invalid rev id: " + rev + "\"}");
      return;
    }
    JsonArray siblings = new JsonArray();
    files.keySet().stream().sorted().forEach(name -> {
      byte[] bytes = files.get(name);
      JsonObject s = new JsonObject().put("rfilename", name).put("size", bytes.length).put("blobId", "b" + name.hashCode());
      if (name.endsWith(".gguf")) {
        s.put("lfs", new JsonObject().put("sha256", sha256(bytes)).put("size", bytes.length).put("pointerSize", 134));
      }
      siblings.add(s);
    });
    response.putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("id", repo).put("modelId", repo).put("sha", COMMIT).put("siblings", siblings).encode());
  }

  private void resolve(String repo, String rev, String file, HttpServerResponse response) {
    Map<String, byte[]> files = repos.get(repo);
    byte[] bytes = files == null ? null : files.get(file);
    if (bytes == null || !(rev.equals("main") || rev.equals(COMMIT))) {
      response.setStatusCode(404).putHeader("X-Error-Code", "EntryNotFound").end("{\"error\":\"Entry not found\"}");
      return;
    }
    String sha = sha256(bytes);
    response.setStatusCode(302)
      .putHeader("Location", "http://127.0.0.1:" + cdn.actualPort() + "/repos/" + repo + "/" + sha + "/" + file)
      .putHeader("ETag", "\"" + sha + "\"")
      .putHeader("X-Linked-Etag", "\"" + sha + "\"")
      .putHeader("X-Linked-Size", String.valueOf(bytes.length))
      .putHeader("X-Repo-Commit", COMMIT)
      .end();
  }

  private void file(String repo, String file, HttpServerRequest request, Hit hit) {
    Map<String, byte[]> files = repos.get(repo);
    byte[] original = files == null ? null : files.get(file);
    HttpServerResponse response = request.response();
    if (original == null) {
      response.setStatusCode(404).end();
      return;
    }
    byte[] bytes = original;
    if (corrupt) {
      bytes = original.clone();
      bytes[bytes.length / 2] ^= 0x5a;
    }
    int from = 0;
    int to = bytes.length - 1;
    Matcher m = RANGE.matcher(request.getHeader("Range") == null ? "" : request.getHeader("Range"));
    if (m.matches()) {
      from = Integer.parseInt(m.group(1));
      to = m.group(2).isEmpty() ? bytes.length - 1 : Math.min(Integer.parseInt(m.group(2)), bytes.length - 1);
      if (from >= bytes.length) {
        response.setStatusCode(416).putHeader("Content-Range", "bytes */" + bytes.length).end();
        return;
      }
      response.setStatusCode(206).putHeader("Content-Range", "bytes " + from + "-" + to + "/" + bytes.length);
    }
    response.putHeader("Content-Length", String.valueOf(to - from + 1))
      .putHeader("Accept-Ranges", "bytes")
      .putHeader("ETag", "\"" + sha256(original) + "\"")
      .putHeader("Content-Type", "application/octet-stream");
    long cut = cutAfter;
    cutAfter = -1;
    long stall = stallAfter;
    stallAfter = -1;
    if (stall >= 0) {
      response.write(Buffer.buffer(bytes).getBuffer(from, from + (int) stall)); // and never more
      hit.bytesSent.addAndGet(stall);
      return;
    }
    send(request, Buffer.buffer(bytes).getBuffer(from, to + 1), 0, cut, hit);
  }

  private void send(HttpServerRequest request, Buffer body, int at, long cut, Hit hit) {
    HttpServerResponse response = request.response();
    int end = chunkDelayMs > 0 ? Math.min(body.length(), at + 32 * 1024) : body.length();
    if (cut >= 0 && end >= cut) {
      int upTo = (int) Math.max(at, cut);
      response.write(body.getBuffer(at, upTo)).onComplete(v -> request.connection().close());
      hit.bytesSent.addAndGet(upTo - at);
      return;
    }
    hit.bytesSent.addAndGet(end - at);
    if (end == body.length()) {
      response.end(body.getBuffer(at, end));
      return;
    }
    response.write(body.getBuffer(at, end));
    vertx.setTimer(chunkDelayMs, id -> send(request, body, end, cut, hit));
  }
}
