package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The part of JSON Schema that llama.cpp's schema-to-grammar converter enforces. The converter silently ignores
 * keywords it does not know (so the output would not validate), and turns contradictory bounds into a grammar
 * that aborts the JVM while decoding (measured: {@code minimum 3, maximum 1}); both are refused here first.
 */
final class SchemaSubset {

  /** Keywords that constrain a value but that the converter ignores. */
  private static final Set<String> UNENFORCED = Set.of("not", "if", "then", "else", "patternProperties",
    "propertyNames", "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties",
    "unevaluatedItems", "contains", "minContains", "maxContains", "minProperties", "maxProperties", "uniqueItems",
    "multipleOf");
  private static final Set<String> BOUNDS = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
  private static final Set<String> FORMATS = Set.of("date", "time", "date-time", "uuid", "uuid1", "uuid2", "uuid3",
    "uuid4", "uuid5");

  private SchemaSubset() {
  }

  /** Null when llama.cpp can enforce {@code schema}, else why not. */
  static String problem(Object schema) {
    return check(schema, "schema");
  }

  private static String check(Object node, String at) {
    if (node instanceof Boolean) {
      return null;
    }
    if (!(node instanceof JsonObject)) {
      return at + " must be a JSON schema object";
    }
    JsonObject s = (JsonObject) node;
    for (String key : s.fieldNames()) {
      if (UNENFORCED.contains(key)) {
        return at + " uses '" + key + "', which local models cannot enforce";
      }
    }
    Object type = s.getValue("type");
    if (!(type == null || type instanceof String || type instanceof JsonArray)) {
      return at + ".type must be a string or an array of strings";
    }
    for (String key : BOUNDS) {
      if (s.containsKey(key) && !"integer".equals(type)) {
        return at + " uses '" + key + "', which local models enforce only with \"type\": \"integer\"";
      }
      if (s.containsKey(key) && !(s.getValue(key) instanceof Number)) {
        return at + "." + key + " must be a number";
      }
    }
    Object format = s.getValue("format");
    if (format != null && !FORMATS.contains(format)) {
      return at + " uses format '" + format + "'; local models enforce only " + String.join(", ",
        new java.util.TreeSet<>(FORMATS));
    }
    String bad = range(s, at, "minLength", "maxLength");
    bad = bad != null ? bad : range(s, at, "minItems", "maxItems");
    bad = bad != null ? bad : integerRange(s, at);
    if (bad != null) {
      return bad;
    }
    Object pattern = s.getValue("pattern");
    if (pattern != null && (!(pattern instanceof String) || !((String) pattern).startsWith("^")
      || !((String) pattern).endsWith("$"))) {
      return at + ".pattern must be a string that starts with '^' and ends with '$'";
    }
    if (pattern != null && ((String) pattern).contains("(?")) {
      return at + ".pattern uses a (?...) group, which local models cannot enforce"; // llama.cpp crashes on them
    }
    if (pattern != null) {
      try {
        Pattern.compile((String) pattern); // llama.cpp turns e.g. [z-a] into a grammar that aborts the JVM
      } catch (PatternSyntaxException e) {
        return at + ".pattern is not a valid regular expression: " + e.getDescription();
      }
    }
    if ((s.containsKey("minItems") || s.containsKey("maxItems")) && !s.containsKey("items")
      && !s.containsKey("prefixItems")) {
      return at + " uses minItems/maxItems without 'items', which local models cannot enforce";
    }
    for (String key : new String[] {"enum", "anyOf", "oneOf", "allOf", "type"}) {
      if (s.getValue(key) instanceof JsonArray && ((JsonArray) s.getValue(key)).isEmpty()) {
        return at + "." + key + " must not be empty"; // an empty list is a grammar llama.cpp ignores
      }
    }
    if (s.getValue("allOf") instanceof JsonArray) {
      for (Object part : (JsonArray) s.getValue("allOf")) {
        // llama.cpp merges only the properties of allOf's parts and drops everything else
        if (!(part instanceof JsonObject) || !((JsonObject) part).containsKey("properties")
          && !((JsonObject) part).containsKey("$ref")) {
          return at + ".allOf: local models enforce only parts that are objects with 'properties' (or a $ref)";
        }
      }
    }
    for (String key : new String[] {"properties", "$defs", "definitions"}) {
      Object map = s.getValue(key);
      if (map != null) {
        if (!(map instanceof JsonObject)) {
          return at + "." + key + " must be an object";
        }
        for (Map.Entry<String, Object> e : (JsonObject) map) {
          if (e.getKey().isEmpty()) {
            return at + "." + key + " has an empty name, which local models cannot enforce"; // llama.cpp mixes it up
          }
          String p = check(e.getValue(), at + "." + key + "." + e.getKey());
          if (p != null) {
            return p;
          }
        }
      }
    }
    for (String key : new String[] {"additionalProperties", "items"}) {
      Object sub = s.getValue(key);
      String p = sub == null || sub instanceof JsonArray ? null : check(sub, at + "." + key);
      if (p != null) {
        return p;
      }
    }
    for (String key : new String[] {"anyOf", "oneOf", "allOf", "prefixItems", "items"}) {
      Object list = s.getValue(key);
      if (list != null && !(list instanceof JsonArray) && !"items".equals(key)) {
        return at + "." + key + " must be an array";
      }
      if (list instanceof JsonArray) {
        JsonArray a = (JsonArray) list;
        for (int i = 0; i < a.size(); i++) {
          String p = check(a.getValue(i), at + "." + key + "[" + i + "]");
          if (p != null) {
            return p;
          }
        }
      }
    }
    return null;
  }

  private static String range(JsonObject s, String at, String min, String max) {
    for (String key : new String[] {min, max}) {
      Object v = s.getValue(key);
      if (v != null && (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0)) {
        return at + "." + key + " must be a non-negative integer";
      }
    }
    Object lo = s.getValue(min);
    Object hi = s.getValue(max);
    if (lo != null && hi != null && ((Number) lo).longValue() > ((Number) hi).longValue()) {
      return at + " has " + min + " " + lo + " above " + max + " " + hi + ": no value can match";
    }
    return null;
  }

  private static String integerRange(JsonObject s, String at) {
    double lo = Double.NEGATIVE_INFINITY;
    double hi = Double.POSITIVE_INFINITY;
    if (s.containsKey("minimum")) {
      lo = Math.ceil(s.getNumber("minimum").doubleValue());
    }
    if (s.containsKey("exclusiveMinimum")) {
      lo = Math.max(lo, Math.floor(s.getNumber("exclusiveMinimum").doubleValue()) + 1);
    }
    if (s.containsKey("maximum")) {
      hi = Math.floor(s.getNumber("maximum").doubleValue());
    }
    if (s.containsKey("exclusiveMaximum")) {
      hi = Math.min(hi, Math.ceil(s.getNumber("exclusiveMaximum").doubleValue()) - 1);
    }
    return lo > hi ? at + " has bounds that no integer meets" : null;
  }
}
