package org.memorall.llm.llamacpp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test models: a copy of a GGUF file with one more string in its metadata (e.g. a chat template). */
final class GgufFiles {

  private static final int ALIGNMENT = 32; // general.alignment's default; the bundled model does not set it

  private GgufFiles() {
  }

  static Path withString(Path source, Path target, String key, String value) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(source)).order(ByteOrder.LITTLE_ENDIAN);
    in.getInt(); // magic
    int version = in.getInt();
    long tensors = in.getLong();
    long kvs = in.getLong();
    int kvStart = in.position();
    for (long i = 0; i < kvs; i++) {
      skipString(in);
      skipValue(in, in.getInt());
    }
    int kvEnd = in.position();
    for (long i = 0; i < tensors; i++) {
      skipString(in);
      int dims = in.getInt();
      in.position(in.position() + 8 * dims + 4 + 8); // dims, type, offset
    }
    int infosEnd = in.position();
    int dataStart = align(infosEnd);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer head = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(0x46554747).putInt(version).putLong(tensors).putLong(kvs + 1);
    out.write(head.array());
    out.write(in.array(), kvStart, kvEnd - kvStart);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    ByteBuffer kv = ByteBuffer.allocate(8 + k.length + 4 + 8 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    kv.putLong(k.length).put(k).putInt(8).putLong(v.length).put(v);
    out.write(kv.array());
    out.write(in.array(), kvEnd, infosEnd - kvEnd);
    while (out.size() % ALIGNMENT != 0) {
      out.write(0);
    }
    out.write(in.array(), dataStart, in.capacity() - dataStart);
    return Files.write(target, out.toByteArray());
  }

  private static int align(int offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  static void skipString(ByteBuffer in) {
    long len = in.getLong();
    in.position(in.position() + (int) len);
  }

  static void skipValue(ByteBuffer in, int type) {
    switch (type) {
      case 0, 1, 7 -> in.position(in.position() + 1);
      case 2, 3 -> in.position(in.position() + 2);
      case 4, 5, 6 -> in.position(in.position() + 4);
      case 10, 11, 12 -> in.position(in.position() + 8);
      case 8 -> skipString(in);
      case 9 -> {
        int elementType = in.getInt();
        long count = in.getLong();
        for (long i = 0; i < count; i++) {
          skipValue(in, elementType);
        }
      }
      default -> throw new IllegalArgumentException("GGUF value type " + type);
    }
  }
}
