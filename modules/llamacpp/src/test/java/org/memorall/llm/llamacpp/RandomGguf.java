package org.memorall.llm.llamacpp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a LLaMA-architecture GGUF with random F16 weights of chosen dimensions and the bundled model's vocabulary
 * (its {@code tokenizer.*} metadata, copied byte for byte), so that benchmarks can run a model whose generation is
 * compute-bound (milliseconds per token) instead of the 260K-parameter model whose cost is mostly overhead. The
 * text it generates is gibberish; its speed is that of any LLaMA of the same size. Norm weights are F32 ones.
 */
public final class RandomGguf {

  private static final int ALIGNMENT = 32;
  private static final int F32 = 0;
  private static final int F16 = 1;
  private static final int TYPE_UINT32 = 4;
  private static final int TYPE_FLOAT32 = 6;
  private static final int TYPE_STRING = 8;

  /** The shape of the model; {@code embedding} must be a multiple of {@code heads}. */
  public record Dims(int embedding, int feedForward, int layers, int heads, int kvHeads) {

    /** About 35M parameters (70 MB): llama.cpp generates a few hundred tokens/s with it on one core. */
    public static final Dims BENCHMARK = new Dims(512, 1536, 10, 8, 8);

    public Dims {
      if (embedding % heads != 0 || heads % kvHeads != 0) {
        throw new IllegalArgumentException("embedding must divide by heads, heads by kvHeads: " + this);
      }
    }

    int kvDim() {
      return embedding / heads * kvHeads;
    }

    /** Weights in total, the vocabulary's embedding and output matrices included. */
    public long parameters(int vocab) {
      long attention = 2L * embedding * embedding + 2L * embedding * kvDim();
      long ffn = 3L * embedding * feedForward;
      return layers * (attention + ffn + 2L * embedding) + 2L * vocab * embedding + embedding;
    }
  }

  private record Tensor(String name, long[] shape, int type) {
    long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    long bytes() {
      return elements() * (type == F16 ? 2 : 4);
    }
  }

  private RandomGguf() {
  }

  /** Writes the model to {@code target} (weights drawn from {@code seed}) and returns its path. */
  public static Path write(Path target, Dims dims, long seed) throws IOException {
    Vocabulary vocab = Vocabulary.bundled();
    List<Tensor> tensors = tensors(dims, vocab.size);
    ByteBuffer header = header(dims, vocab, tensors);
    SplittableRandom random = new SplittableRandom(seed);
    try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
      StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(out, header);
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (Tensor t : tensors) {
        // Uniform weights with the spread of a 1/sqrt(fan-in) initialisation keep activations in range.
        float scale = (float) Math.sqrt(3.0 / t.shape[0]);
        for (long i = 0; i < t.elements(); i++) {
          if (buf.remaining() < 4) {
            writeFully(out, buf.flip());
            buf.clear();
          }
          if (t.type == F16) {
            buf.putShort(half((float) (random.nextDouble() * 2 - 1) * scale));
          } else {
            buf.putFloat(1f);
          }
        }
        for (long pad = align(t.bytes()) - t.bytes(); pad > 0; pad--) {
          if (!buf.hasRemaining()) {
            writeFully(out, buf.flip());
            buf.clear();
          }
          buf.put((byte) 0);
        }
      }
      writeFully(out, buf.flip());
    }
    return target;
  }

  /** The tensors of a LLaMA in llama.cpp's names, shapes innermost dimension first. */
  private static List<Tensor> tensors(Dims d, int vocab) {
    List<Tensor> list = new ArrayList<>();
    list.add(new Tensor("token_embd.weight", new long[]{d.embedding, vocab}, F16));
    list.add(new Tensor("output_norm.weight", new long[]{d.embedding}, F32));
    list.add(new Tensor("output.weight", new long[]{d.embedding, vocab}, F16));
    for (int i = 0; i < d.layers; i++) {
      String b = "blk." + i + ".";
      list.add(new Tensor(b + "attn_q.weight", new long[]{d.embedding, d.embedding}, F16));
      list.add(new Tensor(b + "attn_k.weight", new long[]{d.embedding, d.kvDim()}, F16));
      list.add(new Tensor(b + "attn_v.weight", new long[]{d.embedding, d.kvDim()}, F16));
      list.add(new Tensor(b + "attn_output.weight", new long[]{d.embedding, d.embedding}, F16));
      list.add(new Tensor(b + "attn_norm.weight", new long[]{d.embedding}, F32));
      list.add(new Tensor(b + "ffn_gate.weight", new long[]{d.embedding, d.feedForward}, F16));
      list.add(new Tensor(b + "ffn_down.weight", new long[]{d.feedForward, d.embedding}, F16));
      list.add(new Tensor(b + "ffn_up.weight", new long[]{d.embedding, d.feedForward}, F16));
      list.add(new Tensor(b + "ffn_norm.weight", new long[]{d.embedding}, F32));
    }
    return list;
  }

  /** Magic, version, counts, metadata, tensor infos, padded to where the tensor data starts. */
  private static ByteBuffer header(Dims d, Vocabulary vocab, List<Tensor> tensors) {
    Bytes kv = new Bytes();
    kv.raw(vocab.metadata);
    kv.string("general.architecture").u32(TYPE_STRING).string("llama");
    kv.string("general.name").u32(TYPE_STRING).string("random-llama-" + d.parameters(vocab.size) / 1_000_000 + "M");
    kv.string("general.file_type").u32(TYPE_UINT32).u32(F16);
    kv.string("llama.context_length").u32(TYPE_UINT32).u32(2048);
    kv.string("llama.embedding_length").u32(TYPE_UINT32).u32(d.embedding);
    kv.string("llama.feed_forward_length").u32(TYPE_UINT32).u32(d.feedForward);
    kv.string("llama.attention.head_count").u32(TYPE_UINT32).u32(d.heads);
    kv.string("llama.attention.head_count_kv").u32(TYPE_UINT32).u32(d.kvHeads);
    kv.string("llama.block_count").u32(TYPE_UINT32).u32(d.layers);
    kv.string("llama.rope.dimension_count").u32(TYPE_UINT32).u32(d.embedding / d.heads);
    kv.string("llama.attention.layer_norm_rms_epsilon").u32(TYPE_FLOAT32).f32(1e-5f);
    int kvCount = vocab.count + 11;

    Bytes infos = new Bytes();
    long offset = 0;
    for (Tensor t : tensors) {
      infos.string(t.name).u32(t.shape.length);
      for (long dim : t.shape) {
        infos.u64(dim);
      }
      infos.u32(t.type).u64(offset);
      offset = align(offset + t.bytes());
    }
    int size = (int) align(24 + kv.size() + infos.size());
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0x46554747).putInt(3).putLong(tensors.size()).putLong(kvCount);
    out.put(kv.toArray()).put(infos.toArray());
    return out.position(0);
  }

  private static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /** IEEE half precision of a normal float; magnitudes below 2^-14 become zero (none matter here). */
  static short half(float f) {
    int bits = Float.floatToIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
    if (exponent <= 0) {
      return (short) sign;
    }
    return (short) (sign | Math.min(exponent, 30) << 10 | (bits >>> 13) & 0x3FF);
  }

  private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      out.write(buf);
    }
  }

  /** The {@code tokenizer.*} entries of the bundled model's metadata, as raw GGUF bytes. */
  private static final class Vocabulary {
    final byte[] metadata;
    final int count;
    final int size;

    private Vocabulary(byte[] metadata, int count, int size) {
      this.metadata = metadata;
      this.count = count;
      this.size = size;
    }

    static Vocabulary bundled() throws IOException {
      byte[] file;
      try (InputStream in = RandomGguf.class.getClassLoader().getResourceAsStream("models/" + BundledModel.FILE)) {
        file = in.readAllBytes();
      }
      ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
      in.position(16); // magic, version, tensor count
      long kvs = in.getLong();
      Bytes kept = new Bytes();
      int count = 0;
      int size = 0;
      for (long i = 0; i < kvs; i++) {
        int start = in.position();
        int keyLength = (int) in.getLong();
        String key = new String(file, in.position(), keyLength, StandardCharsets.UTF_8);
        in.position(in.position() + keyLength);
        int type = in.getInt();
        if (key.equals("tokenizer.ggml.tokens")) {
          size = (int) in.getLong(in.position() + 4); // array: element type, then count
        }
        GgufFiles.skipValue(in, type);
        if (key.startsWith("tokenizer.")) {
          kept.raw(Arrays.copyOfRange(file, start, in.position()));
          count++;
        }
      }
      return new Vocabulary(kept.toArray(), count, size);
    }
  }

  /** A little-endian byte builder for GGUF metadata. */
  private static final class Bytes {
    private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    private Bytes room(int n) {
      if (buf.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
          .order(ByteOrder.LITTLE_ENDIAN);
        buf = bigger.put(buf.flip());
      }
      return this;
    }

    Bytes raw(byte[] bytes) {
      room(bytes.length).buf.put(bytes);
      return this;
    }

    Bytes u32(int v) {
      room(4).buf.putInt(v);
      return this;
    }

    Bytes u64(long v) {
      room(8).buf.putLong(v);
      return this;
    }

    Bytes f32(float v) {
      room(4).buf.putFloat(v);
      return this;
    }

    Bytes string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return u64(b.length).raw(b);
    }

    int size() {
      return buf.position();
    }

    byte[] toArray() {
      return Arrays.copyOf(buf.array(), buf.position());
    }
  }
}
