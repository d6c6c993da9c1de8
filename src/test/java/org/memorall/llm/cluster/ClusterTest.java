package org.memorall.llm.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes in separate JVMs, clustered over Hazelcast on loopback (one cluster name per run, ports chosen now):
 * an LLM created through one node is served through another's gateway, streamed or not, and cancelled across
 * nodes; replicas share load; two nodes racing to create a name end with one LLM; a node that hangs and is then
 * killed with {@code kill -9} while streams run leaves no stream or call hanging, its streams continue on a
 * replica, its LLMs answer 503 and can be created anew, and it serves again when it rejoins; a node shutting down
 * (SIGTERM) gets no new requests and finishes the stream it serves. Hazelcast listens on loopback only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

  @TempDir
  static Path dir;

  private static final String CLUSTER = "llm-test-" + UUID.randomUUID();
  private static final List<Integer> PORTS = List.of(ClusterNode.freePort(), ClusterNode.freePort(),
    ClusterNode.freePort(), ClusterNode.freePort());
  private static final List<ClusterNode> started = new ArrayList<>();
  private static final Pattern TOKEN = Pattern.compile("t\\d+");
  private static ClusterNode a;
  private static ClusterNode b;

  @BeforeAll
  static void startCluster() throws Exception {
    CompletableFuture<ClusterNode> startA = CompletableFuture.supplyAsync(() -> start("a", 0, new JsonObject()));
    CompletableFuture<ClusterNode> startB = CompletableFuture.supplyAsync(() -> start("b", 1, new JsonObject()));
    a = startA.get(120, TimeUnit.SECONDS);
    b = startB.get(120, TimeUnit.SECONDS);
    awaitNodes(a, 2);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (ClusterNode node : started) {
      node.close();
    }
  }

  private static ClusterNode start(String name, int port, JsonObject llms) {
    try {
      ClusterNode node = ClusterNode.start(dir, CLUSTER, name, PORTS.get(port), PORTS,
        new JsonObject().put("llms", llms));
      synchronized (started) {
        started.add(node);
      }
      return node;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonObject ticking(JsonObject extra) {
    return new JsonObject().put("class", TickingProvider.class.getName()).mergeIn(extra);
  }

  static JsonObject createBody(String name, JsonObject config) {
    return new JsonObject().put("name", name).put("type", "custom").put("config", ticking(config));
  }

  static JsonObject chat(String model, int maxTokens) {
    return new JsonObject().put("model", model).put("max_tokens", maxTokens)
      .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
  }

  @Test
  @Order(0)
  void hazelcastListensOnLoopbackOnly() throws Exception {
    List<String> listening = listeners(PORTS.get(0));
    assertFalse(listening.isEmpty(), "node a's Hazelcast port " + PORTS.get(0) + " listens");
    assertTrue(listening.stream().allMatch(a -> a.equals("0100007F") || a.equals("0000000000000000FFFF00000100007F")),
      "bound to 127.0.0.1 only, not to every interface: " + listening);
  }

  @Test
  @Order(1)
  void createdOnOneNodeServedThroughAnother() throws Exception {
    // Created through b's gateway, hosted on a.
    ClusterNode.Reply created = b.post("/llms", createBody("tick", new JsonObject().put("node", "a")));
    assertEquals(201, created.status(), created.body().encode());
    assertEquals(new JsonArray().add("a"), created.body().getJsonArray("nodes"));
    awaitServed(b, "tick");
    for (ClusterNode node : List.of(a, b)) {
      ClusterNode.Reply info = node.get("/llms/tick");
      assertEquals(200, info.status(), info.body().encode());
      assertEquals(new JsonArray().add("a"), info.body().getJsonArray("nodes"), node.name);
      assertTrue(node.get("/llms").body().encode().contains("\"tick\""), node.name);
      // "node" said where to create it; it is not a setting of the LLM (its nodes are in "nodes").
      assertFalse(info.body().getJsonObject("config").containsKey("node"), info.body().encode());
    }

    ClusterNode.Reply answer = b.post("/v1/chat/completions", chat("tick", 3));
    assertEquals(200, answer.status(), answer.body().encode());
    assertEquals("ticking@a", answer.body().getString("model"));
    assertEquals("t0 t1 t2", answer.body().getJsonArray("choices").getJsonObject(0).getJsonObject("message")
      .getString("content"));

    List<String> lines = streamed(b, chat("tick", 5));
    assertEquals("[DONE]", lines.get(lines.size() - 1));
    assertEquals("t0 t1 t2 t3 t4", text(lines));

    // The bundled model, the same way.
    ClusterNode.Reply story = b.post("/llms", new JsonObject().put("name", "story").put("type", "llamacpp")
      .put("config", new JsonObject().put("node", "a").put("parallel", 1).put("embedding", true)));
    assertEquals(201, story.status(), story.body().encode());
    awaitServed(b, "story");
    ClusterNode.Reply told = b.post("/v1/chat/completions", chat("story", 8).put("ignore_eos", true));
    assertEquals(200, told.status(), told.body().encode());
    assertEquals("stories260K", told.body().getString("model"));
    assertEquals(8, told.body().getJsonObject("usage").getInteger("completion_tokens"));
    assertTrue(a.get("/llms/story").body().getLong("tokensGenerated") >= 8, "a generated it");

    // Embeddings too: asked of b, computed on a (b serves no "story"), the same vectors as asking a.
    JsonObject embed = new JsonObject().put("model", "story").put("input", new JsonArray().add("A cat.").add("A dog."));
    ClusterNode.Reply viaB = b.post("/v1/embeddings", embed);
    assertEquals(200, viaB.status(), viaB.body().encode());
    assertEquals(2, viaB.body().getJsonArray("data").size());
    assertEquals(a.post("/v1/embeddings", embed).body().getJsonArray("data"), viaB.body().getJsonArray("data"));

    ClusterNode.Reply unknownNode = b.post("/llms", createBody("nowhere", new JsonObject().put("node", "zz")));
    assertEquals(400, unknownNode.status(), unknownNode.body().encode());
    assertTrue(unknownNode.body().getJsonObject("error").getString("message").contains("No node named 'zz'"));
  }

  @Test
  @Order(2)
  void cancelOnOneNodeStopsTheGenerationOnAnother() throws Exception {
    assertEquals(201, a.post("/llms", createBody("long", new JsonObject().put("intervalMs", 20))).status());
    awaitServed(b, "long");
    URI uri = URI.create(b.url);
    byte[] body = chat("long", 100_000).put("stream", true).encode().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      String seen = "";
      byte[] buffer = new byte[4096];
      while (!seen.contains("t5")) {
        int n = in.read(buffer);
        assertTrue(n > 0, "the stream runs");
        seen += new String(buffer, 0, n, StandardCharsets.UTF_8);
      }
    } // the client leaves
    long deadline = System.nanoTime() + 10_000_000_000L;
    long before;
    long after;
    do {
      before = tokens(a, "long");
      Thread.sleep(500);
      after = tokens(a, "long");
    } while (after != before && System.nanoTime() < deadline);
    assertEquals(before, after, "the generation on a stopped");
    assertTrue(after < 1000, "stopped soon after the client left: " + after + " tokens");
    assertEquals(0, a.get("/llms/long").body().getInteger("inFlight"));
  }

  @Test
  @Order(3)
  void twoNodesRacingToCreateANameEndWithOneLlm() throws Exception {
    for (int round = 0; round < 3; round++) {
      String name = "race" + round;
      CompletableFuture<ClusterNode.Reply> onA = CompletableFuture.supplyAsync(() -> post(a, createBody(name, new JsonObject())));
      CompletableFuture<ClusterNode.Reply> onB = CompletableFuture.supplyAsync(() -> post(b, createBody(name, new JsonObject())));
      List<Integer> statuses = Stream.of(onA.get(), onB.get()).map(ClusterNode.Reply::status).sorted()
        .collect(Collectors.toList());
      assertEquals(List.of(201, 409), statuses, name);
      awaitServed(a, name);
      awaitServed(b, name);
      for (ClusterNode node : List.of(a, b)) {
        assertEquals(1, node.get("/llms/" + name).body().getJsonArray("nodes").size(), node.name);
      }
    }
  }

  @Test
  @Order(4)
  void replicasShareTheLoad() throws Exception {
    JsonObject config = new JsonObject().put("slots", 1).put("intervalMs", 20);
    assertEquals(201, a.post("/llms", createBody("shared", config)).status());
    ClusterNode.Reply replica = b.post("/llms", createBody("shared", config.copy().put("replica", true)));
    assertEquals(201, replica.status(), replica.body().encode());
    awaitNodes("shared", 2);
    assertEquals(ticking(config), b.get("/llms/shared").body().getJsonObject("config"), "\"replica\" is not kept");
    List<CompletableFuture<ClusterNode.Reply>> answers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      answers.add(CompletableFuture.supplyAsync(() -> post(a, chat("shared", 20))));
    }
    Map<String, Integer> byNode = new TreeMap<>();
    for (CompletableFuture<ClusterNode.Reply> f : answers) {
      ClusterNode.Reply r = f.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.status(), r.body().encode());
      byNode.merge(r.body().getString("model"), 1, Integer::sum);
    }
    assertEquals(2, byNode.size(), "both replicas answered: " + byNode);
    assertTrue(byNode.values().stream().allMatch(n -> n >= 2), "shared: " + byNode);

    ClusterNode.Reply otherType = b.post("/llms", new JsonObject().put("name", "shared").put("type", "persona")
      .put("config", new JsonObject().put("replica", true).put("llm", "tick").put("system", "x")));
    assertEquals(409, otherType.status(), "a replica must be of the same type");
  }

  @Test
  @Order(5)
  void theDefaultLlmIsOneLlmOfTheClusterAndItsNameIsReservedForItsType() throws Exception {
    for (ClusterNode node : List.of(a, b)) {
      assertEquals(404, node.get("/llms/default").status(), node.name + ": it exists from its first use");
      assertFalse(node.get("/llms").body().encode().contains("\"default\""), node.name);
    }
    for (ClusterNode node : List.of(a, b)) { // one of them reserved the name at start: it must refuse too
      ClusterNode.Reply otherType = node.post("/llms", createBody("default", new JsonObject()));
      assertEquals(409, otherType.status(), node.name + ": the default's name is taken, with llamacpp: "
        + otherType.body().encode());
    }
    // Its own type may still create it before its first use, as on one node: the name is only reserved for it.
    ClusterNode.Reply created = a.post("/llms", new JsonObject().put("name", "default").put("type", "llamacpp"));
    assertEquals(201, created.status(), created.body().encode());

    ClusterNode.Reply told = a.post("/v1/chat/completions", chat("default", 3));
    assertEquals(200, told.status(), told.body().encode());
    assertEquals("stories260K", told.body().getString("model"));
    awaitServed(b, "default");
    ClusterNode.Reply viaB = b.post("/v1/chat/completions", chat("default", 3));
    assertEquals(200, viaB.status(), viaB.body().encode());
    ClusterNode.Reply seen = b.get("/llms/default");
    assertEquals("llamacpp", seen.body().getString("type"));
    assertEquals(new JsonArray().add("a"), seen.body().getJsonArray("nodes"), "b used a's, made none of its own");
  }

  @Test
  @Order(6)
  void aKilledNodeEndsItsStreamsTheSurvivorsServeAndItRejoins() throws Exception {
    JsonObject llms = new JsonObject()
      .put("victim", new JsonObject().put("type", "custom").put("config", ticking(new JsonObject().put("intervalMs", 20))))
      .put("lonely", new JsonObject().put("type", "custom").put("config", ticking(new JsonObject())))
      // Another type than the cluster's default (llamacpp): c creates none, it uses a's.
      .put("default", new JsonObject().put("type", "custom").put("config", ticking(new JsonObject())));
    ClusterNode c = start("c", 2, llms);
    awaitServed(c, "default");
    ClusterNode.Reply viaC = c.post("/v1/chat/completions", chat("default", 3));
    assertEquals("stories260K", viaC.body().getString("model"), viaC.body().encode());
    assertTrue(c.log().contains("this node does not create it"), "c warns of its other default type");
    assertEquals(201, a.post("/llms", createBody("victim", new JsonObject().put("intervalMs", 20)
      .put("replica", true))).status());
    awaitNodes("victim", 2);
    awaitServed(b, "lonely");
    assertEquals(201, b.post("/llms", createBody("orphan", new JsonObject().put("node", "c"))).status());

    // Four streams through b, which has no replica: two go to a, two to c.
    List<CompletableFuture<List<String>>> streams = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      streams.add(CompletableFuture.supplyAsync(() -> streamed(b, chat("victim", 250))));
    }
    // And one of an LLM only c serves: it cannot go on elsewhere.
    CompletableFuture<List<String>> alone = CompletableFuture.supplyAsync(() -> streamed(b, chat("lonely", 2000)));
    // And one that enters through c and is served by a: its client goes with c.
    CompletableFuture.runAsync(() -> streamed(c, chat("long", 100_000)));
    await(() -> inFlight(c, "victim") >= 1 && inFlight(a, "victim") + inFlight(c, "victim") == 4,
      "the four streams run, some on c");
    await(() -> inFlight(c, "lonely") == 1, "c serves the stream of its own LLM");
    await(() -> inFlight(a, "long") == 1, "a serves the stream that came through c");

    // c hangs (SIGSTOP), then dies (kill -9) a second later. The calls b made to it in between end when c is found
    // gone (silent for 3 s), not at their timeouts: a create may wait 10 minutes for a model load, and Vert.x does
    // not fail a request to a node that died (eclipse-vertx/vert.x#4170).
    long stopped = System.nanoTime();
    c.pause();
    CompletableFuture<ClusterNode.Reply> lonelyInfo = CompletableFuture.supplyAsync(() -> get(b, "/llms/lonely"));
    CompletableFuture<Long> lonelyInfoMs = lonelyInfo.thenApply(r -> msSince(stopped));
    CompletableFuture<ClusterNode.Reply> createOnC = CompletableFuture.supplyAsync(() -> post(b, createBody("late",
      new JsonObject().put("node", "c"))));
    CompletableFuture<Long> createOnCMs = createOnC.thenApply(r -> msSince(stopped));
    CompletableFuture<Long> aloneMs = alone.thenApply(r -> msSince(stopped));
    CompletableFuture<Long> longStoppedMs = CompletableFuture.supplyAsync(() -> {
      try {
        await(() -> inFlight(a, "long") == 0, "a stops the generation c asked for");
        return msSince(stopped);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(1000);
    c.kill();

    // The streams c served continue on a, as one stream each: every token, then [DONE].
    for (CompletableFuture<List<String>> stream : streams) {
      List<String> data = stream.get(60, TimeUnit.SECONDS);
      assertEquals("[DONE]", data.get(data.size() - 1), "the stream completed: " + data.subList(
        Math.max(0, data.size() - 3), data.size()));
      assertEquals(250, TOKEN.matcher(text(data)).results().count(), "every token of the stream: " + text(data));
    }
    b.log().lines().filter(l -> l.contains("Node 'c'") || l.contains("in flight on node") || l.contains("elsewhere"))
      .forEach(System.out::println);
    // The one stream that cannot go on ends with node_left once c is found gone (3 s), well before the 15 s after
    // which a stream that gets nothing would end anyway.
    List<String> lonelyEnd = alone.get(30, TimeUnit.SECONDS);
    assertTrue(lonelyEnd.get(lonelyEnd.size() - 1).contains("node_left"), lonelyEnd.toString());
    System.out.println("c hung, then was killed; its lonely stream ended " + aloneMs.get() + " ms after it hung");
    assertTrue(aloneMs.get() < 10_000, "the stream only c served ended " + aloneMs.get() + " ms after c hung");
    ClusterNode.Reply info = lonelyInfo.get(30, TimeUnit.SECONDS);
    assertEquals(200, info.status(), info.body().encode());
    assertEquals("unavailable", info.body().getString("status"), info.body().encode());
    assertTrue(lonelyInfoMs.get() < 10_000, "the info of c's LLM answered " + lonelyInfoMs.get() + " ms after c hung");
    ClusterNode.Reply notCreated = createOnC.get(30, TimeUnit.SECONDS);
    assertEquals(503, notCreated.status(), notCreated.body().encode());
    assertEquals("node_left", notCreated.body().getJsonObject("error").getString("code"));
    assertTrue(createOnCMs.get() < 10_000, "the create on c failed " + createOnCMs.get() + " ms after c hung");
    long stoppedMs = longStoppedMs.get(60, TimeUnit.SECONDS);
    System.out.println("the generation for c's client stopped " + stoppedMs + " ms after c hung");
    assertTrue(stoppedMs < 10_000, "stopped " + stoppedMs + " ms after c hung, before the stream idle timeout");

    ClusterNode.Reply after = b.post("/v1/chat/completions", chat("victim", 3));
    assertEquals(200, after.status(), after.body().encode());
    assertEquals("ticking@a", after.body().getString("model"));
    ClusterNode.Reply gone = b.post("/v1/chat/completions", chat("lonely", 3));
    assertEquals(503, gone.status(), gone.body().encode());
    assertEquals("llm_unavailable", gone.body().getJsonObject("error").getString("code"));
    assertEquals("unavailable", b.get("/llms/lonely").body().getString("status"));
    // Every request for it says so, as a chat completion does.
    for (ClusterNode.Reply reply : List.of(
      b.post("/v1/embeddings", new JsonObject().put("model", "lonely").put("input", "x")),
      b.get("/llms/lonely/models"),
      b.post("/llms/lonely/serve", new JsonObject().put("path", "x.gguf")),
      b.post("/llms/lonely/models/m/unload", new JsonObject()),
      b.delete("/llms/lonely/models/m"))) {
      assertEquals(503, reply.status(), reply.body().encode());
      assertEquals("llm_unavailable", reply.body().getJsonObject("error").getString("code"));
    }
    // An LLM created on c through the API is not in c's configuration: it may be created anew elsewhere (once
    // Hazelcast too has dropped c, since a member may still be loading it).
    await(() -> b.post("/llms", createBody("orphan", new JsonObject())).status() == 201, "orphan created anew on b");
    awaitServed(a, "orphan");
    assertEquals(new JsonArray().add("b"), a.get("/llms/orphan").body().getJsonArray("nodes"));
    assertEquals("ticking@b", a.post("/v1/chat/completions", chat("orphan", 3)).body().getString("model"));

    ClusterNode rejoined = start("c", 3, llms);
    awaitServed(b, "lonely");
    ClusterNode.Reply back = b.post("/v1/chat/completions", chat("lonely", 3));
    assertEquals(200, back.status(), back.body().encode());
    assertEquals("ticking@c", back.body().getString("model"));
    awaitNodes("victim", 2);

    // A graceful leave (SIGTERM): the stream in flight through b finishes, new requests are refused at once.
    CompletableFuture<List<String>> draining = CompletableFuture.supplyAsync(() -> streamed(b, chat("lonely", 200)));
    await(() -> inFlight(rejoined, "lonely") == 1, "c serves the stream");
    rejoined.terminate();
    await(() -> b.post("/v1/chat/completions", chat("lonely", 1)).status() == 503, "c refuses new requests");
    assertFalse(draining.isDone(), "refused while the stream in flight still runs");
    List<String> drained = draining.get(30, TimeUnit.SECONDS);
    assertEquals("[DONE]", drained.get(drained.size() - 1));
    assertEquals(200, TOKEN.matcher(text(drained)).results().count(), text(drained));
    assertTrue(rejoined.awaitExit(30), "c exits");
  }

  // ---- helpers ----

  private static ClusterNode.Reply post(ClusterNode node, JsonObject body) {
    try {
      return node.post(body.containsKey("messages") ? "/v1/chat/completions" : "/llms", body);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static ClusterNode.Reply get(ClusterNode node, String path) {
    try {
      return node.get(path);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The local addresses (hex, as /proc/net/tcp{,6} write them) of the sockets listening on {@code port}. */
  private static List<String> listeners(int port) throws Exception {
    List<String> addresses = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
      for (String line : lines.stream().skip(1).collect(Collectors.toList())) {
        String[] fields = line.trim().split("\\s+");
        String[] local = fields[1].split(":");
        if ("0A".equals(fields[3]) && Integer.parseInt(local[1], 16) == port) {
          addresses.add(local[0]);
        }
      }
    }
    return addresses;
  }

  /** A streamed chat completion through {@code node}: the payloads of its data lines, or the failure. */
  private static List<String> streamed(ClusterNode node, JsonObject chat) {
    try (Stream<String> lines = node.stream(chat).body()) {
      return lines.filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).collect(Collectors.toList());
    } catch (Exception e) {
      return List.of("failed: " + e);
    }
  }

  /** The text of a stream's chunks (its data payloads but the last, [DONE]). */
  private static String text(List<String> data) {
    return data.stream().filter(d -> d.startsWith("{")).map(JsonObject::new)
      .filter(c -> c.containsKey("choices"))
      .map(c -> c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content", ""))
      .collect(Collectors.joining());
  }

  private static long msSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static int inFlight(ClusterNode node, String llm) throws Exception {
    return node.get("/llms/" + llm).body().getInteger("inFlight", 0);
  }

  private static long tokens(ClusterNode node, String llm) throws Exception {
    return node.get("/llms/" + llm).body().getLong("tokensGenerated", 0L);
  }

  /** Waits until {@code node} can route to LLM {@code name} (the other nodes report a few times a second). */
  private static void awaitServed(ClusterNode node, String name) throws Exception {
    await(() -> {
      JsonObject info = node.get("/llms/" + name).body();
      return info.getJsonArray("nodes") != null && !info.getJsonArray("nodes").isEmpty()
        && "ready".equals(info.getString("status"));
    }, node.name + " sees " + name);
  }

  private static void awaitNodes(String name, int count) throws Exception {
    for (ClusterNode node : List.of(a, b)) {
      await(() -> {
        JsonArray nodes = node.get("/llms/" + name).body().getJsonArray("nodes");
        return nodes != null && nodes.size() == count;
      }, node.name + " sees " + count + " replicas of " + name);
    }
  }

  /** Waits until {@code node}'s registry has heard of {@code count} nodes (it names them in a 400). */
  private static void awaitNodes(ClusterNode node, int count) throws Exception {
    await(() -> {
      String message = node.post("/llms", createBody("probe", new JsonObject().put("node", "?"))).body()
        .getJsonObject("error").getString("message");
      return message.split(",").length == count;
    }, node.name + " sees " + count + " nodes");
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void await(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out: " + what + "\n--- a ---\n" + a.log() + "\n--- b ---\n" + b.log());
      }
      Thread.sleep(100);
    }
  }
}
