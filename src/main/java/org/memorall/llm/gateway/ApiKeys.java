package org.memorall.llm.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A set of API keys, held only as SHA-256 digests. A presented key is compared with every one of them in constant
 * time, so neither the time taken nor a log line or a heap dump tells anything about the keys.
 */
final class ApiKeys {

  private final List<byte[]> digests;

  ApiKeys(Collection<String> keys) {
    digests = keys.stream().map(ApiKeys::sha256).collect(Collectors.toList());
  }

  boolean isEmpty() {
    return digests.isEmpty();
  }

  int size() {
    return digests.size();
  }

  /** Whether {@code key} is one of the keys. Looks at all of them whatever matches, so timing does not tell which. */
  boolean contains(String key) {
    byte[] presented = sha256(key);
    boolean found = false;
    for (byte[] digest : digests) {
      found |= MessageDigest.isEqual(digest, presented);
    }
    return found;
  }

  /**
   * A name for {@code key} that may be kept and logged (rate-limit buckets): a prefix of its digest, which cannot be
   * turned back into the key.
   */
  static String id(String key) {
    return "key:" + HexFormat.of().formatHex(sha256(key), 0, 8);
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
