package org.memorall.llm.llamacpp;

import de.kherud.llama.LlamaModel;
import io.vertx.core.json.JsonObject;
import org.memorall.llm.api.LlmErrors;

import java.io.IOException;

/**
 * Turns a request's {@code response_format} into a llama.cpp grammar (GBNF) that constrains decoding:
 * {@code text} (or none) is unconstrained, {@code json_object} forces one JSON object, {@code json_schema} forces
 * JSON matching {@code json_schema.schema}. A schema llama.cpp cannot enforce is a 400 before any token.
 */
final class ResponseFormat {

  private static final String FIELD = "response_format";
  private static final String SCHEMA_FIELD = FIELD + ".json_schema.schema";
  /** {@code {"type":"object"}} always converts, so it is done in-process once. */
  private static volatile String jsonObject;

  private ResponseFormat() {
  }

  /** The grammar for {@code request}'s response_format, or null for none. Blocking for a new json_schema. */
  static String grammar(JsonObject request) {
    String grammar = of(request);
    if (grammar != null && Boolean.TRUE.equals(request.getValue("ignore_eos"))) {
      // A grammar that is complete allows only the end of text; with that banned llama.cpp aborts the JVM (measured)
      throw LlmErrors.invalidField("ignore_eos", "'ignore_eos' cannot be combined with a JSON response_format");
    }
    return grammar;
  }

  private static String of(JsonObject request) {
    Object value = request.getValue(FIELD);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject)) {
      throw LlmErrors.invalidField(FIELD, "'" + FIELD + "' must be an object");
    }
    JsonObject format = (JsonObject) value;
    Object type = format.getValue("type");
    if ("text".equals(type)) {
      return null;
    }
    if ("json_object".equals(type)) {
      return jsonObjectGrammar();
    }
    if ("json_schema".equals(type)) {
      return schemaGrammar(format.getValue("json_schema"));
    }
    throw LlmErrors.invalidField(FIELD + ".type", "'" + FIELD + ".type' " + (type == null ? "is required"
      : "'" + type + "' is not supported") + "; use \"text\", \"json_object\" or \"json_schema\"");
  }

  private static String jsonObjectGrammar() {
    String g = jsonObject;
    if (g == null) {
      g = LlamaModel.jsonSchemaToGrammar("{\"type\":\"object\"}");
      jsonObject = g;
    }
    return g;
  }

  private static String schemaGrammar(Object value) {
    if (!(value instanceof JsonObject)) {
      throw LlmErrors.invalidField(FIELD + ".json_schema", "'" + FIELD + ".json_schema' must be an object with "
        + "'name' and 'schema' when the type is \"json_schema\"");
    }
    JsonObject js = (JsonObject) value;
    Object strict = js.getValue("strict");
    if (strict != null && !(strict instanceof Boolean)) {
      throw LlmErrors.invalidField(FIELD + ".json_schema.strict", "'" + FIELD + ".json_schema.strict' must be a boolean");
    }
    Object schema = js.getValue("schema");
    if (!(schema instanceof JsonObject)) {
      throw LlmErrors.invalidField(SCHEMA_FIELD, "'" + SCHEMA_FIELD + "' must be a JSON schema object");
    }
    String problem = SchemaSubset.problem(schema);
    if (problem != null) {
      throw LlmErrors.invalidField(SCHEMA_FIELD, "The JSON schema cannot be enforced: " + problem);
    }
    SchemaGrammar.Result result;
    try {
      result = SchemaGrammar.convert(((JsonObject) schema).encode());
    } catch (IOException e) {
      throw LlmErrors.internal("Could not convert the JSON schema: " + e.getMessage());
    }
    if (result.error() != null) {
      throw LlmErrors.invalidField(SCHEMA_FIELD, "llama.cpp cannot turn the JSON schema into a grammar: "
        + result.error());
    }
    return result.grammar();
  }
}
