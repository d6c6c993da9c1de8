package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.ServeRequest;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which files of a repo are the model, and how a serve request names a repo. */
class GgufChoiceTest {

  static final HubRef REPO = new HubRef("u", "r", null, "main");

  private static List<String> pick(HubRef ref, HubFile... files) {
    return GgufChoice.pick(ref, List.of(files)).stream().map(HubFile::name).toList();
  }

  @Test
  void prefersQ4KMThenTheSmallestAndSkipsProjectors() {
    HubFile q8 = new HubFile("m-Q8_0.gguf", 800, "a");
    HubFile q4 = new HubFile("m-Q4_K_M.gguf", 400, "b");
    HubFile q2 = new HubFile("m-Q2_K.gguf", 200, "c");
    HubFile mmproj = new HubFile("mmproj-m-f16.gguf", 100, "d");
    HubFile readme = new HubFile("README.md", 10, null);
    assertEquals(List.of("m-Q4_K_M.gguf"), pick(REPO, readme, q8, q2, q4, mmproj));
    assertEquals(List.of("m-Q2_K.gguf"), pick(REPO, readme, q8, q2, mmproj));
    assertEquals(List.of("m-Q8_0.gguf"), pick(new HubRef("u", "r", "m-Q8_0.gguf", "main"), q8, q4));
  }

  @Test
  void aSplitModelIsAllItsPartsFirstPartFirst() {
    HubFile p2 = new HubFile("Q4_K_M/big-Q4_K_M-00002-of-00002.gguf", 600, "x");
    HubFile p1 = new HubFile("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf", 600, "y");
    HubFile small = new HubFile("small-Q8_0.gguf", 300, "z");
    assertEquals(List.of(p1.name(), p2.name()), pick(REPO, p2, small, p1));
    // Naming any part selects the whole model.
    assertEquals(List.of(p1.name(), p2.name()), pick(new HubRef("u", "r", p2.name(), "main"), p2, p1, small));
  }

  @Test
  void noGgufOrAnUnknownFileIs404NamingTheGgufFiles() {
    ServiceException none = assertThrows(ServiceException.class, () -> pick(REPO, new HubFile("model.safetensors", 1, "a")));
    assertEquals(404, none.failureCode());
    assertTrue(none.getMessage().contains("no GGUF model. GGUF files: none"), none.getMessage());
    ServiceException unknown = assertThrows(ServiceException.class, () -> pick(new HubRef("u", "r", "x.gguf", "main"),
      new HubFile("a-00001-of-00002.gguf", 1, "a"), new HubFile("a-00002-of-00002.gguf", 1, "b"), new HubFile("b.gguf", 1, "c")));
    assertTrue(unknown.getMessage().endsWith("GGUF files: a-00001-of-00002.gguf, b.gguf"), unknown.getMessage());
  }

  @Test
  void requestsNameARepoInSeveralWays() {
    assertEquals(new HubRef("u", "r", null, "main"), ref(new JsonObject().put("username", "u").put("repo", "r")));
    assertEquals(new HubRef("u", "r", null, "main"), ref(new JsonObject().put("repo", "u/r")));
    assertEquals(new HubRef("u", "r", "f.gguf", "v1"), ref(new JsonObject().put("repo", "u/r/f.gguf").put("revision", "v1")));
    assertEquals(new HubRef("u", "r", "d/f.gguf", "main"), ref(new JsonObject().put("model", "u/r/d/f.gguf")));
    assertEquals(new HubRef("u", "r", "f.gguf", "main"), ref(new JsonObject().put("repo", "u/r").put("file", "f.gguf")));
    for (JsonObject bad : List.of(new JsonObject().put("repo", "r"), new JsonObject().put("repo", "u/r/a.gguf").put("file", "b.gguf"),
      new JsonObject().put("repo", "u//f.gguf"), new JsonObject().put("repo", "u/r/.hidden"), new JsonObject().put("repo", 7))) {
      ServiceException e = assertThrows(ServiceException.class, () -> ref(bad), bad.encode());
      assertEquals(400, e.failureCode(), bad.encode());
    }
  }

  private static HubRef ref(JsonObject json) {
    return HubRef.of(new ServeRequest(json));
  }
}
