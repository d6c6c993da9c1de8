package org.memorall.llm.llamacpp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.JsonEOFException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.memorall.llm.CollectingSink;
import org.memorall.llm.api.ChatCompletionChunk;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;

import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.memorall.llm.llamacpp.Harness.await;
import static org.memorall.llm.llamacpp.Harness.failure;
import static org.memorall.llm.llamacpp.Harness.story;

/**
 * response_format on the bundled model: a grammar constrains decoding, so even a tiny story model writes JSON that
 * parses and matches the schema (its values are nonsense text). Sampled with several seeds, not just greedily.
 */
@ExtendWith(VertxExtension.class)
class StructuredOutputTest {

  static final JsonObject PERSON = new JsonObject("""
    {"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer"}},
     "required":["name","age"],"additionalProperties":false}""");

  @TempDir
  Path modelsDir;
  Harness h;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    h = new Harness(vertx, modelsDir, new JsonObject().put("parallel", 2));
    await(h.start());
  }

  @AfterEach
  void stop() throws Exception {
    await(h.call(h.provider::stop));
  }

  static ChatCompletionRequest sampled(long seed, JsonObject format) {
    ChatCompletionRequest r = new ChatCompletionRequest().withMessage("user", "Once upon a time").setTemperature(0.8)
      .setMaxTokens(1000);
    r.toJson().put("seed", seed).put("response_format", format);
    return r;
  }

  static JsonObject schemaFormat(JsonObject schema) {
    return new JsonObject().put("type", "json_schema")
      .put("json_schema", new JsonObject().put("name", "test").put("schema", schema).put("strict", true));
  }

  /**
   * The bundled story model never closes an open-ended object by itself (measured: 30 seeds at temperatures 0 to
   * 2, 1000 tokens each, all ended by the token limit: after a value it always prefers ',' to '}'). So the
   * output is checked to be a JSON object cut off only by the limit: a JSON parser reports nothing but a premature
   * end. A schema with fixed properties (below) ends by itself and parses completely.
   */
  @Test
  void jsonObjectGivesAJsonObject() throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      ChatCompletionRequest request = sampled(seed, new JsonObject().put("type", "json_object")).setMaxTokens(200);
      ChatCompletionResponse r = h.complete(request);
      String content = r.getContent();
      assertTrue(content.startsWith("{"), content);
      if ("stop".equals(r.getFinishReason())) {
        assertInstanceOf(JsonObject.class, new JsonObject(content), content);
      } else {
        assertEquals("length", r.getFinishReason());
        assertTruncatedJson(content);
      }
    }
  }

  /** {@code text} is JSON cut short: reading it fails only at its end. */
  static void assertTruncatedJson(String text) throws Exception {
    try (JsonParser parser = new JsonFactory().createParser(text)) {
      while (parser.nextToken() != null) {
        // read every token
      }
      throw new AssertionError("expected JSON cut short, got complete JSON: " + text);
    } catch (JsonEOFException expected) {
      // the only error: the input ended inside the object
    }
  }

  @Test
  void jsonSchemaGivesMatchingJson() throws Exception {
    for (long seed = 1; seed <= 5; seed++) {
      ChatCompletionResponse r = h.complete(sampled(seed, schemaFormat(PERSON)));
      assertEquals("stop", r.getFinishReason(), r.getContent());
      assertPerson(r.getContent());
    }
  }

  static void assertPerson(String content) {
    JsonObject person = new JsonObject(content);
    assertEquals(Set.of("name", "age"), person.fieldNames(), content);
    assertInstanceOf(String.class, person.getValue("name"), content);
    assertTrue(person.getString("name").length() <= 40, content);
    Object age = person.getValue("age");
    assertTrue(age instanceof Integer || age instanceof Long, content);
  }

  @Test
  void enumsArraysAndNestedObjectsAreEnforced() throws Exception {
    JsonObject schema = new JsonObject("""
      {"type":"object","properties":{
         "mood":{"enum":["happy","sad"]},
         "friends":{"type":"array","items":{"type":"string","maxLength":20},"minItems":1,"maxItems":3},
         "home":{"type":"object","properties":{"city":{"type":"string","maxLength":20},"rooms":{"type":"integer",
           "minimum":1,"maximum":9}},"required":["city","rooms"],"additionalProperties":false},
         "pet":{"type":"boolean"}},
       "required":["mood","friends","home","pet"],"additionalProperties":false}""");
    for (long seed = 1; seed <= 3; seed++) {
      ChatCompletionResponse r = h.complete(sampled(seed, schemaFormat(schema)));
      assertEquals("stop", r.getFinishReason(), r.getContent());
      JsonObject o = new JsonObject(r.getContent());
      assertTrue(Set.of("happy", "sad").contains(o.getString("mood")), r.getContent());
      JsonArray friends = o.getJsonArray("friends");
      assertTrue(friends.size() >= 1 && friends.size() <= 3, r.getContent());
      friends.forEach(f -> assertInstanceOf(String.class, f));
      int rooms = o.getJsonObject("home").getInteger("rooms");
      assertTrue(rooms >= 1 && rooms <= 9, r.getContent());
      assertInstanceOf(String.class, o.getJsonObject("home").getValue("city"));
      assertInstanceOf(Boolean.class, o.getValue("pet"));
    }
  }

  @Test
  void streamingWithASchemaConcatenatesToMatchingJson() throws Exception {
    ChatCompletionRequest request = sampled(7, schemaFormat(PERSON)).setStream(true);
    CollectingSink sink = h.chat(request);
    assertNull(await(sink.done()));
    assertTrue(sink.chunks.size() > 3, "one chunk per token");
    ChatCompletionChunk last = sink.chunks.get(sink.chunks.size() - 1);
    assertEquals("stop", last.getFinishReason());
    assertPerson(sink.text());
  }

  @Test
  void textIsUnconstrained() throws Exception {
    // Both compared answers start from the same cached prompt: a prompt evaluated anew and one taken from the cache
    // may differ in the last bits of the logits (another batch shape), enough to flip a near-tie of greedy decoding.
    h.complete(story(20));
    String plain = h.complete(story(20)).getContent();
    ChatCompletionRequest request = story(20);
    request.toJson().put("response_format", new JsonObject().put("type", "text"));
    assertEquals(plain, h.complete(request).getContent());
  }

  @Test
  void schemasThatCannotBeEnforcedAre400s() throws Exception {
    String[][] cases = {
      {"{\"type\":\"object\",\"patternProperties\":{\"a\":{}}}", "'patternProperties'"}, // ignored by llama.cpp
      {"{\"not\":{\"type\":\"string\"}}", "'not'"},
      {"{\"type\":\"integer\",\"minimum\":3,\"maximum\":1}", "no integer"}, // would abort the JVM while decoding
      {"{\"type\":\"number\",\"minimum\":0}", "only with \"type\": \"integer\""},
      {"{\"type\":\"string\",\"format\":\"email\"}", "format 'email'"},
      {"{\"type\":\"string\",\"pattern\":\"[a-z]+\"}", "'^'"},
      {"{\"type\":\"string\",\"pattern\":\"^[z-a]$\"}", "not a valid regular expression"}, // would abort
      {"{\"type\":\"string\",\"pattern\":\"^(?:ab)$\"}", "(?...)"}, // llama.cpp's converter crashes on it
      {"{\"type\":\"object\",\"properties\":{\"\":{\"type\":\"string\"}}}", "empty name"}, // llama.cpp: a string
      {"{\"type\":\"array\",\"maxItems\":0}", "without 'items'"}, // ignored by llama.cpp
      {"{\"anyOf\":[]}", "must not be empty"}, // a grammar llama.cpp cannot parse, then ignores
      {"{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "allOf"}, // llama.cpp writes {}
      {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}}}",
        "minLength 5 above maxLength 2"},
      // these pass the check but llama.cpp's converter refuses them (in the child JVM: in-process it would abort)
      {"{\"$ref\":\"#/definitions/missing\"}", "Error resolving ref"},
      {"{\"type\":\"frobnicate\"}", "Unrecognized schema"},
      // llama.cpp writes a grammar it cannot parse (then ignores): found by trying it on the bundled model
      {"{\"const\":\"x\\\"\\\\y\"}", "cannot parse the grammar"},
      {"{\"type\":\"object\",\"properties\":{\"a\":false},\"required\":[\"a\"]}", "Unrecognized schema: false"},
    };
    for (String[] c : cases) {
      ServiceException e = failure(h.chat(sampled(1, schemaFormat(new JsonObject(c[0])))).done());
      assertEquals(400, e.failureCode(), c[0]);
      assertEquals("response_format.json_schema.schema", e.getDebugInfo().getString("param"), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
    // the node is still there
    assertEquals("stop", h.complete(sampled(1, schemaFormat(PERSON))).getFinishReason());
  }

  @Test
  void badResponseFormatsAre400s() throws Exception {
    Object[][] cases = {
      {new JsonObject().put("type", "xml"), "response_format.type", "'xml' is not supported"},
      {new JsonObject(), "response_format.type", "is required"},
      {"json", "response_format", "must be an object"},
      {new JsonObject().put("type", "json_schema"), "response_format.json_schema", "must be an object"},
      {new JsonObject().put("type", "json_schema").put("json_schema", new JsonObject().put("name", "x")),
        "response_format.json_schema.schema", "must be a JSON schema object"},
    };
    for (Object[] c : cases) {
      ChatCompletionRequest request = story(4);
      request.toJson().put("response_format", c[0]);
      ServiceException e = failure(h.chat(request).done());
      assertEquals(400, e.failureCode(), String.valueOf(c[0]));
      assertEquals(c[1], e.getDebugInfo().getString("param"));
      assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
    }
  }

  /** A complete grammar allows only the end of text: banning it aborts the JVM in llama.cpp (measured). */
  @Test
  void ignoreEosWithAGrammarIsA400() throws Exception {
    ChatCompletionRequest request = sampled(1, schemaFormat(PERSON));
    request.toJson().put("ignore_eos", true);
    ServiceException e = failure(h.chat(request).done());
    assertEquals(400, e.failureCode());
    assertEquals("ignore_eos", e.getDebugInfo().getString("param"));
  }
}
