package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI embeddings request: {@code input} is one string or an array of strings. Fields this runtime does not
 * read ({@code user}, an upstream's own options) are kept, so a remote provider can forward them unchanged.
 */
@DataObject
public class EmbeddingRequest extends JsonData {

  /** OpenAI's own bound on the strings of one request. */
  public static final int MAX_INPUTS = 2048;
  public static final String FLOAT = "float";
  public static final String BASE64 = "base64";

  public EmbeddingRequest(JsonObject json) {
    super(json);
  }

  public EmbeddingRequest() {
    super(new JsonObject());
  }

  /** A request for the embedding of each of {@code texts}. */
  public static EmbeddingRequest of(String... texts) {
    return new EmbeddingRequest(new JsonObject().put("input", new JsonArray(List.of((Object[]) texts))));
  }

  public String getModel() {
    Object v = json.getValue("model");
    return v instanceof String ? (String) v : null;
  }

  public EmbeddingRequest setModel(String model) {
    json.put("model", model);
    return this;
  }

  /** The input strings, in order; one string is a list of one. */
  public List<String> getInputs() {
    Object input = json.getValue("input");
    List<String> list = new ArrayList<>();
    if (input instanceof String) {
      list.add((String) input);
    } else if (input instanceof JsonArray) {
      for (Object s : (JsonArray) input) {
        list.add((String) s);
      }
    }
    return list;
  }

  /** {@code encoding_format}: "float" (the default) or "base64". */
  public String getEncodingFormat() {
    Object v = json.getValue("encoding_format");
    return v instanceof String ? (String) v : FLOAT;
  }

  public EmbeddingRequest setEncodingFormat(String format) {
    json.put("encoding_format", format);
    return this;
  }

  /** {@code dimensions}, or null: only some remote models can shorten their vectors. */
  public Integer getDimensions() {
    return intOrNull("dimensions");
  }

  /**
   * Checks the fields this runtime reads. Throws a 400 {@link io.vertx.serviceproxy.ServiceException} naming the
   * first bad field; unknown fields are left alone.
   */
  public EmbeddingRequest validate() {
    Object model = json.getValue("model");
    if (model != null && !(model instanceof String)) {
      throw LlmErrors.invalidField("model", "'model' must be a string");
    }
    Object input = json.getValue("input");
    if (input == null) {
      throw LlmErrors.invalidField("input", "'input' is required: a string or an array of strings");
    }
    if (input instanceof String) {
      checkText((String) input, "input");
    } else if (input instanceof JsonArray) {
      JsonArray list = (JsonArray) input;
      if (list.isEmpty()) {
        throw LlmErrors.invalidField("input", "'input' must contain at least one string");
      }
      if (list.size() > MAX_INPUTS) {
        throw LlmErrors.invalidField("input", "'input' has " + list.size() + " strings; at most " + MAX_INPUTS
          + " are allowed in one request");
      }
      for (int i = 0; i < list.size(); i++) {
        Object s = list.getValue(i);
        if (!(s instanceof String)) {
          throw LlmErrors.invalidField("input[" + i + "]", "'input[" + i + "]' must be a string"
            + (s instanceof JsonArray || s instanceof Number ? " (token arrays are not supported: send the text)" : ""));
        }
        checkText((String) s, "input[" + i + "]");
      }
    } else {
      throw LlmErrors.invalidField("input", "'input' must be a string or an array of strings");
    }
    Object format = json.getValue("encoding_format");
    if (format != null && !FLOAT.equals(format) && !BASE64.equals(format)) {
      throw LlmErrors.invalidField("encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
    }
    Object dimensions = json.getValue("dimensions");
    if (dimensions != null && (!(dimensions instanceof Integer) || (Integer) dimensions < 1)) {
      throw LlmErrors.invalidField("dimensions", "'dimensions' must be a positive integer");
    }
    return this;
  }

  private static void checkText(String text, String field) {
    if (text.isEmpty()) {
      throw LlmErrors.invalidField(field, "'" + field + "' must not be an empty string");
    }
  }
}
