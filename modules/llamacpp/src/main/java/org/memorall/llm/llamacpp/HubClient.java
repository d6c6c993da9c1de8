package org.memorall.llm.llamacpp;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmErrors;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The HuggingFace Hub over HTTP, as huggingface_hub talks to it: the model API to list a repo's files, and
 * {@code /resolve/} to fetch one. Blocking (java.net.http), so it runs on download threads, never an event loop.
 * The token goes only to the Hub's own host: a redirect to another host (the Hub's CDN) gets no Authorization
 * header, as with the requests library.
 */
final class HubClient {

  static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  private static final int MAX_REDIRECTS = 5;
  /**
   * One client for every download: it owns a selector thread and a connection pool. HTTP/1.1, as
   * huggingface_hub uses: the JDK's default (HTTP/2, with an h2c upgrade on http:// endpoints) broke large
   * bodies against a Vert.x server ("GOAWAY", frame size errors), measured with the test Hub. Redirects are
   * followed by hand (see open) so that the token never leaves the Hub's host.
   */
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .followRedirects(HttpClient.Redirect.NEVER)
    .connectTimeout(Duration.ofSeconds(15)).build();

  private final URI endpoint;
  private final String token;

  HubClient(String endpoint, String token) {
    String e = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    this.endpoint = URI.create(e);
    this.token = token == null || token.isBlank() ? null : token.trim();
  }

  /** The endpoint: the LLM's {@code hubEndpoint}, else HF_ENDPOINT (system property, then environment), else the Hub. */
  static String endpoint(String configured) {
    return firstSet(configured, System.getProperty("HF_ENDPOINT"), System.getenv("HF_ENDPOINT"), DEFAULT_ENDPOINT);
  }

  /** HF_TOKEN (system property, then environment), or null. Never logged or shown. */
  static String token() {
    return firstSet(System.getProperty("HF_TOKEN"), System.getenv("HF_TOKEN"), null, null);
  }

  static HubClient fromSettings(String configuredEndpoint) {
    return new HubClient(endpoint(configuredEndpoint), token());
  }

  String endpoint() {
    return endpoint.toString();
  }

  /** The repo's files at {@code ref.revision()}; 404 when the Hub does not know the repo or revision. */
  List<HubFile> files(HubRef ref) throws IOException, InterruptedException {
    String path = "/api/models/" + ref.username() + "/" + ref.repo() + "/revision/" + enc(ref.revision()) + "?blobs=true";
    HttpResponse<String> response = HTTP.send(request(endpoint.resolve(endpoint.getPath() + path), true)
      .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    int status = response.statusCode();
    if (status == 401 || status == 403 || status == 404) {
      // The Hub answers 401 for repos that do not exist as well as for private ones.
      throw LlmErrors.of(404, "invalid_request_error", "repo", "model_not_found",
          "Model repo '" + ref.id() + "' (revision '" + ref.revision() + "') not found on " + endpoint
            + (status == 404 ? "" : " (or it is private or gated: set HF_TOKEN)"));
    }
    if (status != 200) {
      throw new IOException("The Hub answered " + status + " for the file list of " + ref.id());
    }
    return parseFiles(response.body());
  }

  static List<HubFile> parseFiles(String body) throws IOException {
    try {
      JsonArray siblings = new JsonObject(body).getJsonArray("siblings", new JsonArray());
      List<HubFile> files = new ArrayList<>();
      for (Object o : siblings) {
        if (!(o instanceof JsonObject)) {
          continue;
        }
        JsonObject s = (JsonObject) o;
        JsonObject lfs = s.getJsonObject("lfs");
        long size = lfs != null && lfs.getValue("size") instanceof Number ? lfs.getLong("size")
          : s.getValue("size") instanceof Number ? s.getLong("size") : -1;
        String sha = lfs == null ? null : lfs.getString("sha256", lfs.getString("oid"));
        files.add(new HubFile(s.getString("rfilename"), size, sha));
      }
      files.removeIf(f -> f.name() == null);
      return files;
    } catch (DecodeException | ClassCastException e) {
      throw new IOException("The Hub's file list is not the JSON expected: " + e.getMessage());
    }
  }

  /**
   * GETs {@code file} from {@code /resolve/}, following redirects, from byte {@code from} on (a Range request
   * when above 0). The caller closes the body. {@code linkedEtag} of the result is the Hub's X-Linked-Etag (the
   * SHA-256 of an LFS file), seen on the first response, which is usually the redirect.
   */
  Fetch open(HubRef ref, String file, long from) throws IOException, InterruptedException {
    URI uri = endpoint.resolve(endpoint.getPath() + "/" + ref.username() + "/" + ref.repo() + "/resolve/"
      + enc(ref.revision()) + "/" + enc(file));
    String linkedEtag = null;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder b = request(uri, sameOrigin(uri)).GET();
      if (from > 0) {
        b.header("Range", "bytes=" + from + "-");
      }
      HttpResponse<InputStream> response = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (linkedEtag == null) {
        linkedEtag = response.headers().firstValue("X-Linked-Etag").map(HubClient::unquote).orElse(null);
      }
      int status = response.statusCode();
      if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
        response.body().close();
        if (hop >= MAX_REDIRECTS) {
          throw new IOException("Too many redirects fetching " + file);
        }
        uri = uri.resolve(response.headers().firstValue("Location").get());
        continue;
      }
      return new Fetch(response, linkedEtag);
    }
  }

  /** A response to a file GET, with the Hub's X-Linked-Etag. */
  record Fetch(HttpResponse<InputStream> response, String linkedEtag) {
  }

  private HttpRequest.Builder request(URI uri, boolean withToken) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", "llm-runtime/llamacpp");
    if (token != null && withToken) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private boolean sameOrigin(URI uri) {
    return Objects.equals(uri.getScheme(), endpoint.getScheme()) && Objects.equals(uri.getHost(), endpoint.getHost())
      && uri.getPort() == endpoint.getPort();
  }

  private static String unquote(String etag) {
    String e = etag.startsWith("W/") ? etag.substring(2) : etag;
    return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
  }

  private static String enc(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String firstSet(String a, String b, String c, String d) {
    for (String s : new String[] {a, b, c}) {
      if (s != null && !s.isBlank()) {
        return s;
      }
    }
    return d;
  }
}
