package org.memorall.llm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.TestNode;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Generated malformed and hostile requests against every endpoint: each gets a 4xx with the OpenAI error object
 * (or, when it happens to be valid, a 2xx), never a 5xx, never a hang; the node serves normally afterwards.
 * Reproducible: the seed is printed, and {@code -Dfuzz.seed=N} replays a run ({@code -Dfuzz.count=N} for more).
 * The model endpoints are fuzzed on their own LLM "fuzz" with inputs that cannot name a real model, so that the
 * fuzz never loads, unloads or deletes the default LLM's model.
 */
@ExtendWith(VertxExtension.class)
class FuzzTest {

  private static final int BODY_LIMIT = 64 * 1024;
  private static final int TIMEOUT_MS = 30_000;
  private static final long SEED = Long.getLong("fuzz.seed", 20261129L);
  private static final int COUNT = Integer.getInteger("fuzz.count", 1000);
  private static final Set<String> PROTECTED = Set.of("default", "fuzz");
  private static int port;

  @TempDir
  static Path files;
  private static String garbageModel;
  private static String truncatedModel;

  @BeforeAll
  static void start(Vertx vertx, VertxTestContext ctx) throws Exception {
    byte[] model;
    try (InputStream in = FuzzTest.class.getClassLoader().getResourceAsStream("models/stories260K.gguf")) {
      model = in.readAllBytes();
    }
    truncatedModel = Files.write(files.resolve("truncated.gguf"), Arrays.copyOf(model, model.length / 3)).toString();
    byte[] junk = new byte[2048];
    new Random(1).nextBytes(junk);
    System.arraycopy("GGUF".getBytes(StandardCharsets.US_ASCII), 0, junk, 0, 4);
    garbageModel = Files.write(files.resolve("garbage.gguf"), junk).toString();

    JsonObject llms = TestNode.defaultLlms().put("fuzz", new JsonObject().put("type", "llamacpp")
      .put("config", new JsonObject().put("parallel", 1)));
    JsonObject config = TestNode.config(llms);
    config.getJsonObject("http").put("maxBodyBytes", BODY_LIMIT);
    TestNode.deploy(vertx, config).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  /** One generated request. */
  private record Req(String method, String path, String contentType, byte[] body) {
    @Override
    public String toString() {
      String text = body == null ? "" : new String(body, 0, Math.min(body.length, 160), StandardCharsets.UTF_8);
      return method + " " + (path.length() > 160 ? path.substring(0, 160) + "..." : path) + " [" + contentType + "] "
        + (body == null ? "no body" : body.length + " bytes: " + text.replace("\n", "\\n"));
    }
  }

  @Test
  void hostileRequestsGetOpenAiErrorsAndNeverA5xx() throws Exception {
    System.out.println("FuzzTest seed " + SEED + " (-Dfuzz.seed=" + SEED + " replays it), " + COUNT + " requests");
    Random rnd = new Random(SEED);
    List<Req> requests = new ArrayList<>(fixed());
    while (requests.size() < COUNT) {
      requests.add(generate(rnd));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<String> problems = new ArrayList<>();
    int[] statuses = new int[6];
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < requests.size(); i++) {
        Req req = requests.get(i);
        int index = i;
        results.add(pool.submit(() -> check(index, req, statuses)));
      }
      for (Future<String> result : results) {
        String problem = result.get(2L * TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (problem != null) {
          problems.add(problem);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf("FuzzTest: %d requests: %d 2xx, %d 4xx, %d 5xx, %d problems%n", COUNT, statuses[2], statuses[4],
      statuses[5], problems.size());
    if (!problems.isEmpty()) {
      fail("seed " + SEED + ": " + problems.size() + " bad answers, e.g.:\n" + String.join("\n",
        problems.subList(0, Math.min(15, problems.size()))));
    }
    // The node is unharmed: both LLMs are there and serve.
    for (String llm : PROTECTED) {
      RawExchange chat;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      do {
        // "fuzz" may still be reloading its model after the fuzzed serves; "default" was never touched.
        chat = RawExchange.send(port, "POST", "/llms/" + llm + "/v1/chat/completions", "application/json",
          Http.chat("Once upon a time", 8).encode().getBytes(StandardCharsets.UTF_8), TIMEOUT_MS);
      } while (chat.status != 200 && "fuzz".equals(llm) && System.nanoTime() < deadline && pause());
      RawExchange answer = chat;
      assertEquals(200, chat.status, answer::body);
      assertTrue(chat.body().startsWith("{\"id\":\"chatcmpl-"), answer::body);
    }
  }

  @Test
  void malformedUrlsAndFormBodiesAre400s() throws Exception {
    // The router rejects an invalid %-escape in the path before any route runs; the body handler rejects a form
    // body it cannot decode. Both are the client's errors, in the OpenAI shape.
    for (Req req : List.of(new Req("GET", "/llms/%zz", null, null),
      new Req("DELETE", "/llms/fuzz/models/%zz", null, null),
      new Req("POST", "/v1/chat/completions", "application/x-www-form-urlencoded", bytes("a=%zz&b")))) {
      RawExchange answer = RawExchange.send(port, req.method, req.path, req.contentType, req.body, TIMEOUT_MS);
      assertEquals(400, answer.status, () -> req + " -> " + answer.body());
      JsonObject error = new JsonObject(answer.body()).getJsonObject("error");
      assertEquals("invalid_request_error", error.getString("type"), error::encode);
      assertEquals(Set.of("message", "type", "param", "code"), error.fieldNames(), error::encode);
    }
  }

  private static boolean pause() throws InterruptedException {
    Thread.sleep(200);
    return true;
  }

  /** Sends {@code req}; null when the answer is fine, else what is wrong with it. */
  private static String check(int index, Req req, int[] statuses) {
    RawExchange answer;
    try {
      answer = RawExchange.send(port, req.method, req.path, req.contentType, req.body, TIMEOUT_MS);
    } catch (Exception e) {
      return "#" + index + " " + req + " -> no answer: " + e;
    }
    synchronized (statuses) {
      statuses[answer.status / 100]++;
    }
    if (answer.status >= 200 && answer.status < 300) {
      cleanUp(req, answer);
      return null;
    }
    if (answer.status < 400 || answer.status >= 500) {
      return "#" + index + " " + req + " -> " + answer.status + " " + abbreviate(answer.body());
    }
    if ("HEAD".equals(req.method)) {
      return null; // no body by definition
    }
    try {
      JsonObject body = new JsonObject(answer.body());
      JsonObject error = body.getJsonObject("error");
      boolean shaped = body.size() == 1 && error != null && error.size() == 4
        && error.getValue("message") instanceof String && !error.getString("message").isEmpty()
        && error.getValue("type") instanceof String && error.containsKey("param") && error.containsKey("code")
        && String.valueOf(answer.header("content-type")).startsWith("application/json");
      return shaped ? null : "#" + index + " " + req + " -> " + answer.status + " not an OpenAI error: "
        + abbreviate(answer.body());
    } catch (RuntimeException e) {
      return "#" + index + " " + req + " -> " + answer.status + " not JSON: " + abbreviate(answer.body());
    }
  }

  /** A valid create that slipped through the fuzz is removed again. */
  private static void cleanUp(Req req, RawExchange answer) {
    if (!"POST".equals(req.method) || !"/llms".equals(req.path)) {
      return;
    }
    try {
      String name = new JsonObject(answer.body()).getString("name");
      if (name != null && !PROTECTED.contains(name)) {
        RawExchange.send(port, "DELETE", "/llms/" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8), null, null,
          TIMEOUT_MS);
      }
    } catch (Exception e) {
      // Best effort.
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  // ---- generators ----

  private static final String[] CHAT_PATHS = {"/v1/chat/completions", "/llms/default/v1/chat/completions"};
  private static final String[] CHAT_FIELDS = {"model", "messages", "max_tokens", "max_completion_tokens",
    "temperature", "top_p", "presence_penalty", "frequency_penalty", "seed", "n", "stop", "stream", "stream_options",
    "ignore_eos", "tools", "response_format", "logit_bias", "user"};
  private static final String[] CONTENT_TYPES = {"application/json", "text/plain", "application/xml",
    "application/json; charset=utf-16", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded",
    "image/png", "*/*", ";;;", "application/json; boundary=\"", null};
  private static final String[] METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE",
    "PROPFIND", "FOO"};

  private static Req generate(Random rnd) {
    switch (rnd.nextInt(13)) {
      case 0:
      case 1:
      case 2:
        return chat(rnd, mutatedChat(rnd));
      case 3:
        return chat(rnd, malformed(rnd, baseChat()));
      case 4:
        return chat(rnd, special(rnd));
      case 5:
        return new Req("POST", "/llms", contentType(rnd), createBody(rnd));
      case 6:
        return management(rnd);
      case 7:
        return modelEndpoint(rnd);
      case 8:
        return wrongMethod(rnd);
      case 9:
        return new Req("POST", pick(rnd, CHAT_PATHS), pick(rnd, CONTENT_TYPES), mutatedChat(rnd));
      case 10:
        return new Req("POST", "/llms/" + hostileName(rnd, false) + "/v1/chat/completions", "application/json",
          rnd.nextBoolean() ? mutatedChat(rnd) : bytes(baseChat()));
      case 11:
        return embeddings(rnd);
      default:
        return chat(rnd, hugeOrDeep(rnd));
    }
  }

  /** The cases named in the issue, always included; the generated ones follow. */
  private static List<Req> fixed() {
    String chat = "/v1/chat/completions";
    String json = "application/json";
    return List.of(
      new Req("POST", chat, json, bytes("[".repeat(10_000) + "]".repeat(10_000))),
      new Req("POST", chat, json, bytes(baseChat() + ",\"temperature\":1e309}")),
      new Req("POST", chat, json, bytes(baseChat() + ",\"seed\":-0,\"x\":1e309,\"y\":" + "9".repeat(400) + "}")),
      new Req("POST", chat, json, bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":"
        + "9".repeat(40) + "}")),
      new Req("POST", chat, json, bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":-0}")),
      new Req("POST", chat, json, invalidUtf8(new Random(3))),
      new Req("POST", chat, "application/x-www-form-urlencoded", bytes("a=%zz&b")),
      new Req("POST", chat, "multipart/form-data; boundary=zz", bytes("--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--yy")),
      new Req("POST", chat, "text/plain", bytes(baseChat() + "}")),
      new Req("POST", chat, json, bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(BODY_LIMIT) + "\"}]}")),
      new Req("POST", "/llms/..%2F..%2Fetc%2Fpasswd/v1/chat/completions", json, bytes(baseChat() + "}")),
      new Req("GET", "/llms/..%2F..%2Fetc%2Fpasswd", null, null),
      new Req("DELETE", "/llms/..%2F..%2Fetc%2Fpasswd", null, null),
      new Req("GET", "/llms/%zz/models", null, null),
      new Req("POST", "/llms/fuzz/models/..%2F..%2Fetc%2Fpasswd/unload", null, null),
      new Req("DELETE", "/llms/fuzz/models/..%2F..%2F..%2F..%2Fetc%2Fpasswd", null, null),
      new Req("POST", "/llms/fuzz/serve", json, bytes("{\"path\":\"" + truncatedModel + "\"}")),
      new Req("POST", "/llms/fuzz/serve", json, bytes("{\"path\":\"" + garbageModel + "\"}")),
      new Req("POST", "/llms/fuzz/serve", json, bytes("{\"path\":\"../../../../etc/passwd\"}")),
      new Req("POST", "/llms", json, bytes("{\"name\":\"corrupt\",\"type\":\"llamacpp\",\"config\":{\"model\":\""
        + truncatedModel + "\"}}")),
      new Req("PUT", chat, json, bytes(baseChat() + "}")),
      new Req("DELETE", "/v1/models", null, null));
  }

  /** An embeddings request with one field hostile, or damaged, to a known, a default or a hostile LLM. */
  private static Req embeddings(Random rnd) {
    String path = pick(rnd, new String[]{"/v1/embeddings", "/llms/default/v1/embeddings",
      "/llms/" + hostileName(rnd, false) + "/v1/embeddings"});
    String value = hostileValue(rnd);
    byte[] body;
    switch (rnd.nextInt(6)) {
      case 0: body = bytes("{\"input\":" + value + "}"); break;
      case 1: body = bytes("{\"input\":[" + value + ",\"x\"]}"); break;
      case 2: body = bytes("{\"input\":\"x\",\"encoding_format\":" + value + "}"); break;
      case 3: body = bytes("{\"input\":\"x\",\"dimensions\":" + value + "}"); break;
      case 4: body = bytes("{\"input\":\"x\",\"model\":" + value + "}"); break;
      default: body = malformed(rnd, "{\"input\":\"x\""); break;
    }
    return new Req("POST", path, "application/json", body);
  }

  private static Req chat(Random rnd, byte[] body) {
    return new Req("POST", pick(rnd, CHAT_PATHS), "application/json", body);
  }

  private static String baseChat() {
    return "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":4";
  }

  /** A valid request with one known field (or a part of a message) set to a hostile value. */
  private static byte[] mutatedChat(Random rnd) {
    String value = hostileValue(rnd);
    switch (rnd.nextInt(6)) {
      case 0:
        return bytes("{\"messages\":[{\"role\":" + value + ",\"content\":\"Hi\"}],\"max_tokens\":4}");
      case 1:
        return bytes("{\"messages\":[{\"role\":\"user\",\"content\":" + value + "}],\"max_tokens\":4}");
      case 2:
        return bytes("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":" + value
          + "}]}],\"max_tokens\":4}");
      case 3:
        return bytes("{\"messages\":[" + value + "],\"max_tokens\":4}");
      default:
        String field = pick(rnd, CHAT_FIELDS);
        // Duplicate keys too: the last one counts.
        return bytes(baseChat() + ",\"" + field + "\":" + value + (rnd.nextInt(4) == 0 ? ",\"" + field + "\":"
          + hostileValue(rnd) : "") + "}");
    }
  }

  private static String hostileValue(Random rnd) {
    switch (rnd.nextInt(34)) {
      case 0: return "null";
      case 1: return "true";
      case 2: return "\"\"";
      case 3: return "\"hot\"";
      case 4: return "1e309";
      case 5: return "-1e309";
      case 6: return "-0";
      case 7: return "0";
      case 8: return "-1";
      case 9: return "2147483648";
      case 10: return "9223372036854775808";
      case 11: return "1" + "0".repeat(300);
      case 12: return "1e-400";
      case 13: return "0.5";
      case 14: return "[]";
      case 15: return "{}";
      case 16: return "[1,\"a\",null,{}]";
      case 17: return "{\"include_usage\":\"yes\"}";
      case 18: return "\"" + "x".repeat(1 + rnd.nextInt(5000)) + "\"";
      case 19: return "\"\\u0000\\ud800\\udfff\"";
      case 20: return "\"../../etc/passwd\"";
      case 21: return "[" + "\"s\",".repeat(20) + "\"s\"]";
      case 22: return "{\"role\":\"user\"}";
      case 23: return "{\"role\":\"wizard\",\"content\":\"Hi\"}";
      case 24: return "{\"role\":\"assistant\",\"content\":null}";
      case 25: return "[{\"type\":5}]";
      case 26: return "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"file:///etc/passwd\"}}]";
      case 27: return "1000000";
      case 28: return "1000001";
      case 29: return "-2147483649";
      case 30: return "\"\\ud83d\\ude00\"";
      case 31: return "[".repeat(50) + "]".repeat(50);
      case 32: return "{\"a\":" .repeat(40) + "1" + "}".repeat(40);
      default: return String.valueOf(rnd.nextLong());
    }
  }

  /** A valid body cut short, or damaged. */
  private static byte[] malformed(Random rnd, String valid) {
    String full = valid + "}";
    switch (rnd.nextInt(8)) {
      case 0: return bytes(full.substring(0, rnd.nextInt(full.length())));
      case 1: return bytes(full + pick(rnd, new String[]{"}", "]", ",", "x", " {}", "\u0000"}));
      case 2: return bytes(pick(rnd, new String[]{"", " ", "null", "[]", "123", "\"str\"", "{", "}", "NaN",
        "{\"messages\": NaN}", "{'messages': []}", "{\"messages\":[],}", "{messages:[]}", "\u0000", "true"}));
      case 3: {
        byte[] b = new byte[1 + rnd.nextInt(2000)];
        rnd.nextBytes(b);
        return b;
      }
      case 4: {
        byte[] b = bytes(full);
        for (int i = 0; i < 1 + rnd.nextInt(5); i++) {
          b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        return b;
      }
      default: return invalidUtf8(rnd);
    }
  }

  /** A JSON string holding bytes that are not UTF-8. */
  private static byte[] invalidUtf8(Random rnd) {
    byte[][] bad = {{(byte) 0xff}, {(byte) 0xfe, (byte) 0xff}, {(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0,
      (byte) 0x80}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
      {(byte) 0x80}};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Once "));
    out.writeBytes(bad[rnd.nextInt(bad.length)]);
    out.writeBytes(bytes(" upon\"}],\"max_tokens\":4}"));
    return out.toByteArray();
  }

  /** Unknown fields, absurd max_tokens, duplicate keys, NUL characters and the like. */
  private static byte[] special(Random rnd) {
    switch (rnd.nextInt(6)) {
      case 0: {
        StringBuilder sb = new StringBuilder(baseChat());
        for (int i = 0; i < 1 + rnd.nextInt(2000); i++) {
          sb.append(",\"f").append(i).append("\":").append(i % 3 == 0 ? "null" : "[" + i + "]");
        }
        return bytes(sb.append('}').toString());
      }
      case 1: return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":"
        + pick(rnd, new String[]{"0", "-5", "1e9", "99999999999999999999", "4.5", "\"4\"", "NaN", "1e309", "[4]"}) + "}");
      case 2: return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,"
        + "\"model\":\"" + pick(rnd, new String[]{"../../etc/passwd", "nope", "", " default", "DEFAULT", "default/..",
        "\\u0000", "fuzz/../default"}) + "\"}");
      case 3: return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,\"stop\":["
        + "\"a\",".repeat(1 + rnd.nextInt(40)) + "\"b\"]}");
      case 4: return bytes("{\"messages\":[" + "{\"role\":\"user\",\"content\":\"Hi\"},".repeat(rnd.nextInt(500))
        + "{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,\"stream\":" + rnd.nextBoolean() + "}");
      default: return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":"
        + pick(rnd, new String[]{"2", "1.0", "0", "-1", "\"1\""}) + "}");
    }
  }

  /** Bodies near and over the limit, and deep nesting. */
  private static byte[] hugeOrDeep(Random rnd) {
    switch (rnd.nextInt(5)) {
      case 0: return bytes("[".repeat(10_000) + "]".repeat(10_000));
      case 1: return bytes("{\"messages\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}");
      case 2: return bytes(baseChat() + ",\"x\":" + "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000) + "}");
      case 3: {
        // Just under the limit: a prompt longer than a slot's context.
        int size = BODY_LIMIT - 200 - rnd.nextInt(1000);
        return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x ".repeat(size / 2)
          + "\"}],\"max_tokens\":4}");
      }
      default: {
        int size = BODY_LIMIT + 1 + rnd.nextInt(3 * BODY_LIMIT);
        return bytes("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(size) + "\"}]}");
      }
    }
  }

  /** POST /llms bodies: nearly all invalid; a valid one is deleted after the fact. */
  private static byte[] createBody(Random rnd) {
    if (rnd.nextInt(6) == 0) {
      return malformed(rnd, "{\"name\":\"x\",\"type\":\"llamacpp\"");
    }
    String name = pick(rnd, new String[]{"null", "5", "\"\"", "\"default\"", "\"fuzz\"", "\"../../etc\"",
      "\"" + "a".repeat(65) + "\"", "\"-x\"", "\"a b\"", "\"\\u0000\"", "[\"x\"]", "\"n" + rnd.nextInt(1000) + "\"",
      "\"%2e%2e\"", "\"x/y\""});
    String type = pick(rnd, new String[]{"null", "5", "\"\"", "\"nope\"", "\"LLAMACPP\"", "\"llamacpp\"", "\"custom\"",
      "\"openai\"", "\"persona\"", "[]", "{}"});
    String config = pick(rnd, new String[]{"null", "\"big\"", "[]", "5", "{\"parallel\":0}", "{\"parallel\":1e309}",
      "{\"parallel\":\"2\"}", "{\"model\":\"/etc/passwd\"}", "{\"model\":\"../../../../etc/shadow\"}",
      "{\"model\":5}", "{\"model\":\"" + garbageModel + "\"}", "{\"model\":\"" + truncatedModel + "\"}",
      "{\"model\":\"/dev/zero\"}", "{\"contextSize\":-1}", "{\"maxQueue\":-1}", "{\"maxQueue\":1e309}",
      "{\"queueTimeoutMs\":0}", "{\"retry\":\"x\"}", "{\"fallbacks\":[1]}", "{\"class\":\"java.lang.Runtime\"}",
      "{\"class\":\"java.lang.Object\"}", "{\"class\":\"org.memorall.llm.node.Main\"}", "{\"class\":5}",
      "{\"class\":\"no.such.Class\"}", "{\"llm\":\"\"}", "{\"llm\":5}", "{\"baseURL\":\"ftp://x\"}",
      "{\"apiKey\":5}", "{\"chatTemplate\":\"{% for %}\"}", "{\"threads\":-3}", "{\"maxTokens\":1e309}"});
    return bytes("{\"name\":" + name + ",\"type\":" + type + ",\"config\":" + config + "}");
  }

  /** A path segment naming no LLM; {@code pathSafe} keeps out dot segments a path normaliser would resolve. */
  private static String hostileName(Random rnd, boolean pathSafe) {
    String[] names = {"..%2F..%2Fetc%2Fpasswd", "nope", "Default", "default%20", "%20", "a".repeat(65), "-x",
      "%00", "%zz", "%ff%fe", "%F0%9F%92%A9", "a%2Fb", "%252e%252e", "%5c..%5cwindows", "%3Cscript%3E", "%22%27",
      "x".repeat(1000), "n%0d%0aSet-Cookie:%20a=b", "con", "fuzz%2F..%2Fdefault", "%C0%AE%C0%AE", "..%5c..%5c"};
    String[] dots = {"..", "%2e%2e", ".", "%2E"};
    return !pathSafe && rnd.nextInt(8) == 0 ? pick(rnd, dots) : pick(rnd, names);
  }

  private static Req management(Random rnd) {
    String name = hostileName(rnd, true);
    switch (rnd.nextInt(7)) {
      case 0: return new Req("GET", "/llms/" + hostileName(rnd, false), null, null);
      case 1: return new Req("DELETE", "/llms/" + name, null, null);
      case 2: return new Req("GET", "/llms/" + hostileName(rnd, false) + "/models", null, null);
      case 3: return new Req("GET", "/llms/" + name + "/v1/models", null, null);
      case 4: return new Req("GET", "/v1/models?x=" + pick(rnd, new String[]{"%zz", "%ff", "a&&&=", "%00"}), null, null);
      case 5: return new Req("GET", "/llms?" + pick(rnd, new String[]{"%zz", "name=%ff", "=", "a=1&a=2"}), null, null);
      default: return new Req("POST", "/llms/" + name + "/serve", "application/json", bytes("{\"path\":\"/x.gguf\"}"));
    }
  }

  /** serve, unload and delete on LLM "fuzz", with inputs that name no usable model. */
  private static Req modelEndpoint(Random rnd) {
    String id = hostileName(rnd, true);
    switch (rnd.nextInt(4)) {
      case 0: return new Req("POST", "/llms/fuzz/models/" + id + "/unload", null, null);
      case 1: return new Req("DELETE", "/llms/fuzz/models/" + id, null, null);
      case 2: return new Req("DELETE", "/llms/fuzz/models/" + pick(rnd, new String[]{"%2Fetc%2Fpasswd",
        "..%2F..%2F..%2F..%2Fetc%2Fhostname", "%2Fdev%2Fnull", "%2Fproc%2Fself%2Fenviron"}), null, null);
      default: {
        String path = pick(rnd, new String[]{"null", "5", "[]", "{}", "\"\"", "\"/etc/passwd\"",
          "\"../../../../etc/passwd\"", "\"/dev/zero\"", "\"/proc/self/environ\"", "\"/nonexistent.gguf\"",
          "\"" + garbageModel + "\"", "\"" + truncatedModel + "\"", "\"\\u0000\"", "\"" + "p".repeat(5000) + "\"",
          "\"/tmp\"", "\".\""});
        byte[] body = rnd.nextInt(5) == 0 ? malformed(rnd, "{\"path\":\"/x.gguf\"") : bytes("{\"path\":" + path + "}");
        return new Req("POST", "/llms/fuzz/serve", rnd.nextBoolean() ? "application/json" : contentType(rnd), body);
      }
    }
  }

  private static Req wrongMethod(Random rnd) {
    String[][] routes = {{"/v1/chat/completions", "POST"}, {"/llms/default/v1/chat/completions", "POST"},
      {"/v1/models", "GET"}, {"/llms", "GET POST"}, {"/llms/nope", "GET DELETE"}, {"/llms/nope/models", "GET"},
      {"/llms/fuzz/serve", "POST"}, {"/llms/fuzz/models/nope/unload", "POST"}, {"/llms/fuzz/models/nope", "DELETE"},
      {"/", ""}, {"/v1", ""}, {"/v1/completions", ""}, {"/v1/embeddings", ""}};
    String[] route = routes[rnd.nextInt(routes.length)];
    String method;
    do {
      method = pick(rnd, METHODS);
    } while (route[1].contains(method));
    return new Req(method, route[0], rnd.nextBoolean() ? "application/json" : null,
      rnd.nextBoolean() ? bytes(baseChat() + "}") : null);
  }

  private static String contentType(Random rnd) {
    return pick(rnd, CONTENT_TYPES);
  }

  private static <T> T pick(Random rnd, T[] values) {
    return values[rnd.nextInt(values.length)];
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
