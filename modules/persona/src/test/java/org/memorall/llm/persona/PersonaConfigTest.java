package org.memorall.llm.persona;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.ChatCompletionRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The settings and the request rewrite, without a node. */
class PersonaConfigTest {

  private static JsonObject valid() {
    return new JsonObject().put("llm", "default").put("system", "Once upon a time");
  }

  private static void assertRejected(JsonObject config, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new PersonaProviderFactory().create("persona", config));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void badSettingsAreNamed() {
    assertRejected(new JsonObject().put("system", "x"), "'llm' is required");
    assertRejected(valid().put("llm", 3), "'llm' is required");
    assertRejected(valid().put("system", " "), "'system' is required");
    assertRejected(valid().put("mode", "append"), "'mode' must be \"prepend\" or \"replace\"");
    assertRejected(valid().put("defaults", "hot"), "'defaults' must be an object");
    assertRejected(valid().put("defaults", new JsonObject().put("temperature", 5)),
      "'defaults.temperature' must be a number from 0 to 2");
    assertRejected(valid().put("defaults", new JsonObject().put("messages", new JsonArray())), "'defaults.messages'");
    assertRejected(valid().put("maxConcurrency", 0), "'maxConcurrency' must be an integer from 1 to 1024");
    assertRejected(valid().put("maxConcurrency", "many"), "'maxConcurrency'");
    assertThrows(IllegalArgumentException.class, () -> new PersonaProviderFactory().create("llamacpp", valid()));
    assertEquals(16, new PersonaProviderFactory().create("persona", valid().put("other", 1)).slots());
  }

  @Test
  void prependKeepsTheClientsSystemMessagesAfterThePersonas() {
    ChatCompletionRequest request = new ChatCompletionRequest().setModel("bot").withMessage("system", "Be brief.")
      .withMessage("user", "Hi").setMaxTokens(8);
    ChatCompletionRequest out = PersonaConfig.parse(valid()).apply(request, "bot");
    assertEquals(new JsonObject().put("max_tokens", 8).put("messages", new JsonArray()
      .add(message("system", "Once upon a time")).add(message("system", "Be brief.")).add(message("user", "Hi"))),
      out.toJson(), "model naming the persona is dropped, the rest is kept");
    assertEquals(2, request.getMessages().size(), "the client's request is not changed");
    assertEquals("gpt-4o", PersonaConfig.parse(valid()).apply(request.copy().setModel("gpt-4o"), "bot").getModel());
  }

  @Test
  void replaceDropsSystemAndDeveloperMessages() {
    ChatCompletionRequest request = new ChatCompletionRequest().withMessage("developer", "D").withMessage("user", "U")
      .withMessage("system", "S").withMessage("assistant", "A");
    JsonArray messages = PersonaConfig.parse(valid().put("mode", "replace")).apply(request, "bot").toJson()
      .getJsonArray("messages");
    assertEquals(new JsonArray().add(message("system", "Once upon a time")).add(message("user", "U"))
      .add(message("assistant", "A")), messages);
  }

  @Test
  void defaultsApplyOnlyWhereTheClientSetNothing() {
    PersonaConfig config = PersonaConfig.parse(valid().put("defaults", new JsonObject()
      .put("temperature", 0.2).put("max_tokens", 256).put("stop", new JsonArray().add("."))));
    JsonObject none = config.apply(new ChatCompletionRequest().withMessage("user", "U"), null).toJson();
    assertEquals(0.2, none.getDouble("temperature"));
    assertEquals(256, none.getInteger("max_tokens"));
    assertEquals(new JsonArray().add("."), none.getJsonArray("stop"));
    JsonObject set = config.apply(new ChatCompletionRequest(new JsonObject().put("temperature", 0)
      .put("max_completion_tokens", 9).put("stop", (Object) null)).withMessage("user", "U"), null).toJson();
    assertEquals(0, set.getInteger("temperature"));
    assertEquals(9, set.getInteger("max_completion_tokens"));
    assertTrue(!set.containsKey("max_tokens"), "max_completion_tokens counts as max_tokens: " + set);
    assertEquals(new JsonArray().add("."), set.getJsonArray("stop"), "a null field counts as not set");
  }

  private static JsonObject message(String role, String content) {
    return new JsonObject().put("role", role).put("content", content);
  }
}
