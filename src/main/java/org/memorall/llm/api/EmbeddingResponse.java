package org.memorall.llm.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An OpenAI embeddings answer: {@code {"object":"list","data":[{"object":"embedding","index":0,"embedding":[...]}],
 * "model","usage":{"prompt_tokens","total_tokens"}}}. With {@code encoding_format} "base64" each embedding is the
 * base64 of its little-endian float32 values, as OpenAI sends it.
 */
@DataObject
public class EmbeddingResponse extends JsonData {

  public EmbeddingResponse(JsonObject json) {
    super(json);
  }

  /** The answer for {@code vectors} (one per input, in order) encoded as {@code encodingFormat}. */
  public static EmbeddingResponse of(String model, List<float[]> vectors, int promptTokens, String encodingFormat) {
    JsonArray data = new JsonArray();
    for (int i = 0; i < vectors.size(); i++) {
      data.add(new JsonObject().put("object", "embedding").put("index", i)
        .put("embedding", encode(vectors.get(i), encodingFormat)));
    }
    return new EmbeddingResponse(new JsonObject()
      .put("object", "list")
      .put("data", data)
      .put("model", model)
      .put("usage", new JsonObject().put("prompt_tokens", promptTokens).put("total_tokens", promptTokens)));
  }

  private static Object encode(float[] vector, String format) {
    if (EmbeddingRequest.BASE64.equals(format)) {
      ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(vector);
      return Base64.getEncoder().encodeToString(bytes.array());
    }
    JsonArray array = new JsonArray();
    for (float v : vector) {
      array.add(v);
    }
    return array;
  }

  public String getModel() {
    return json.getString("model");
  }

  /** How many embeddings the answer holds. */
  public int size() {
    return arrayOrEmpty("data").size();
  }

  /** The embedding of input {@code index}, whichever way it was encoded. */
  public float[] vector(int index) {
    for (Object item : arrayOrEmpty("data")) {
      if (item instanceof JsonObject && Integer.valueOf(index).equals(((JsonObject) item).getValue("index"))) {
        return decode(((JsonObject) item).getValue("embedding"));
      }
    }
    throw new IndexOutOfBoundsException("No embedding with index " + index + " in an answer of " + size());
  }

  /** Every embedding, in the order of the inputs. */
  public List<float[]> vectors() {
    List<float[]> list = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      list.add(vector(i));
    }
    return list;
  }

  private static float[] decode(Object embedding) {
    if (embedding instanceof String) {
      ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode((String) embedding)).order(ByteOrder.LITTLE_ENDIAN);
      float[] vector = new float[bytes.remaining() / Float.BYTES];
      bytes.asFloatBuffer().get(vector);
      return vector;
    }
    JsonArray array = embedding instanceof JsonArray ? (JsonArray) embedding : new JsonArray();
    float[] vector = new float[array.size()];
    for (int i = 0; i < vector.length; i++) {
      vector[i] = ((Number) array.getValue(i)).floatValue();
    }
    return vector;
  }

  /** Cosine similarity of two vectors of the same length: 1 for the same direction, 0 for unrelated. */
  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("Vectors of different lengths: " + a.length + " and " + b.length);
    }
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  /** Token counts; embeddings have prompt tokens only. */
  public Usage getUsage() {
    JsonObject usage = json.getJsonObject("usage");
    return usage == null ? null : new Usage(usage);
  }

  /** The LLM that answered ({@code served_by}), set on results of the event-bus API; not sent over HTTP. */
  public String getServedBy() {
    return json.getString("served_by");
  }

  public EmbeddingResponse setServedBy(String servedBy) {
    if (servedBy != null) {
      json.put("served_by", servedBy);
    }
    return this;
  }
}
