package org.memorall.llm.llamacpp;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key/value metadata of a GGUF file (format versions 2 and 3), read without llama.cpp so that a model can be
 * described (architecture, context length, quantisation, chat template) without loading it. Arrays are skipped:
 * only their element count is kept.
 */
public final class GgufHeader {

  private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
  private static final long MAX_STRING = 64L << 20; // a chat template is KBs; anything this big is a broken file
  private static final long MAX_KV = 1_000_000;

  // GGUF value types
  private static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

  private final int version;
  private final long tensorCount;
  private final Map<String, Object> values;

  private GgufHeader(int version, long tensorCount, Map<String, Object> values) {
    this.version = version;
    this.tensorCount = tensorCount;
    this.values = Collections.unmodifiableMap(values);
  }

  /** Reads the header of {@code file}; throws IOException with a clear message when it is not a GGUF file. */
  public static GgufHeader read(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(new Reader(in), file);
    } catch (EOFException e) {
      throw new IOException("'" + file + "' is not a valid GGUF file (it ends inside its header)");
    }
  }

  /** True when the file starts with the GGUF magic. */
  public static boolean isGguf(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return new Reader(in).u32() == MAGIC;
    } catch (IOException e) {
      return false;
    }
  }

  private static GgufHeader read(Reader r, Path file) throws IOException {
    if (r.u32() != MAGIC) {
      throw new IOException("'" + file + "' is not a GGUF file (wrong magic number)");
    }
    int version = (int) r.u32();
    if (version < 2 || version > 3) {
      throw new IOException("'" + file + "' is GGUF version " + version + "; versions 2 and 3 are supported");
    }
    long tensors = r.u64();
    long kvCount = r.u64();
    if (kvCount < 0 || kvCount > MAX_KV) {
      throw new IOException("'" + file + "' is not a valid GGUF file (" + kvCount + " metadata entries)");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      String key = r.string();
      values.put(key, r.value((int) r.u32()));
    }
    return new GgufHeader(version, tensors, values);
  }

  public int version() {
    return version;
  }

  public long tensorCount() {
    return tensorCount;
  }

  /** Every metadata value: numbers, booleans and strings as Java objects, arrays as {@link ArrayInfo}. */
  public Map<String, Object> values() {
    return values;
  }

  public String string(String key) {
    Object v = values.get(key);
    return v instanceof String ? (String) v : null;
  }

  public Long number(String key) {
    Object v = values.get(key);
    return v instanceof Number ? ((Number) v).longValue() : null;
  }

  public String architecture() {
    return string("general.architecture");
  }

  public String name() {
    return string("general.name");
  }

  /** The context length the model was trained with ({@code <arch>.context_length}), or null. */
  public Long contextLength() {
    String arch = architecture();
    return arch == null ? null : number(arch + ".context_length");
  }

  public String chatTemplate() {
    return string("tokenizer.chat_template");
  }

  public boolean hasChatTemplate() {
    String t = chatTemplate();
    return t != null && !t.isBlank();
  }

  /** The quantisation named by {@code general.file_type} (llama_ftype), e.g. Q4_K_M, or null when absent. */
  public String quantization() {
    Long type = number("general.file_type");
    return type == null ? null : FileTypes.name(type.intValue());
  }

  /**
   * Whether llama.cpp puts a BOS token before a prompt: {@code tokenizer.ggml.add_bos_token} when present, else
   * llama.cpp's default for the vocabulary (true for SentencePiece "llama" vocabularies).
   */
  public boolean addsBos() {
    Object v = values.get("tokenizer.ggml.add_bos_token");
    if (v instanceof Boolean) {
      return (Boolean) v;
    }
    String model = string("tokenizer.ggml.model");
    return model == null || "llama".equals(model);
  }

  public Long bosTokenId() {
    return number("tokenizer.ggml.bos_token_id");
  }

  /** An array value: its element type and count (the elements are skipped). */
  public record ArrayInfo(int type, long count) {
  }

  /** Little-endian reads over a stream. */
  private static final class Reader {
    private final InputStream in;
    private final byte[] buf = new byte[8];

    Reader(InputStream in) {
      this.in = in;
    }

    private void fill(int n) throws IOException {
      int off = 0;
      while (off < n) {
        int k = in.read(buf, off, n - off);
        if (k < 0) {
          throw new EOFException();
        }
        off += k;
      }
    }

    long le(int n) throws IOException {
      fill(n);
      long v = 0;
      for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | (buf[i] & 0xFF);
      }
      return v;
    }

    long u32() throws IOException {
      return le(4);
    }

    long u64() throws IOException {
      return le(8);
    }

    String string() throws IOException {
      long len = u64();
      if (len < 0 || len > MAX_STRING) {
        throw new IOException("not a valid GGUF file (a string of " + len + " bytes)");
      }
      return new String(in.readNBytes((int) len), StandardCharsets.UTF_8);
    }

    void skip(long n) throws IOException {
      while (n > 0) {
        long k = in.skip(n);
        if (k <= 0) {
          if (in.read() < 0) {
            throw new EOFException();
          }
          k = 1;
        }
        n -= k;
      }
    }

    Object value(int type) throws IOException {
      switch (type) {
        case UINT8: return (int) le(1);
        case INT8: return (int) (byte) le(1);
        case UINT16: return (int) le(2);
        case INT16: return (int) (short) le(2);
        case UINT32: return le(4);
        case INT32: return (int) le(4);
        case FLOAT32: return Float.intBitsToFloat((int) le(4));
        case BOOL: return le(1) != 0;
        case STRING: return string();
        case UINT64:
        case INT64: return le(8);
        case FLOAT64: return Double.longBitsToDouble(le(8));
        case ARRAY: return array();
        default: throw new IOException("not a valid GGUF file (unknown value type " + type + ")");
      }
    }

    private ArrayInfo array() throws IOException {
      int type = (int) u32();
      long count = u64();
      if (count < 0) {
        throw new IOException("not a valid GGUF file (an array of " + count + " elements)");
      }
      int width = width(type);
      if (width > 0) {
        skip(width * count);
      } else {
        for (long i = 0; i < count; i++) {
          value(type); // strings and nested arrays have no fixed width
        }
      }
      return new ArrayInfo(type, count);
    }

    private static int width(int type) {
      switch (type) {
        case UINT8: case INT8: case BOOL: return 1;
        case UINT16: case INT16: return 2;
        case UINT32: case INT32: case FLOAT32: return 4;
        case UINT64: case INT64: case FLOAT64: return 8;
        default: return 0;
      }
    }
  }

  /** llama.cpp's llama_ftype values (general.file_type) by name. */
  private static final class FileTypes {
    private static final String[] NAMES = new String[40];

    static {
      String[][] pairs = {
        {"0", "F32"}, {"1", "F16"}, {"2", "Q4_0"}, {"3", "Q4_1"}, {"7", "Q8_0"}, {"8", "Q5_0"}, {"9", "Q5_1"},
        {"10", "Q2_K"}, {"11", "Q3_K_S"}, {"12", "Q3_K_M"}, {"13", "Q3_K_L"}, {"14", "Q4_K_S"}, {"15", "Q4_K_M"},
        {"16", "Q5_K_S"}, {"17", "Q5_K_M"}, {"18", "Q6_K"}, {"19", "IQ2_XXS"}, {"20", "IQ2_XS"}, {"21", "Q2_K_S"},
        {"22", "IQ3_XS"}, {"23", "IQ3_XXS"}, {"24", "IQ1_S"}, {"25", "IQ4_NL"}, {"26", "IQ3_S"}, {"27", "IQ3_M"},
        {"28", "IQ2_S"}, {"29", "IQ2_M"}, {"30", "IQ4_XS"}, {"31", "IQ1_M"}, {"32", "BF16"}, {"36", "TQ1_0"},
        {"37", "TQ2_0"}};
      for (String[] p : pairs) {
        NAMES[Integer.parseInt(p[0])] = p[1];
      }
    }

    static String name(int type) {
      return type >= 0 && type < NAMES.length && NAMES[type] != null ? NAMES[type] : "type " + type;
    }
  }
}
