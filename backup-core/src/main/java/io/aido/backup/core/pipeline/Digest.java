package io.aido.backup.core.pipeline;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 and byte count of the plaintext passing one point of a pipeline. */
final class Digest {
  private final MessageDigest sha256;
  private long count;
  private String hex;

  Digest() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  void update(byte[] b, int off, int len) {
    sha256.update(b, off, len);
    count += len;
  }

  long count() {
    return count;
  }

  /** The hex SHA-256; ends the digest, so call it once, after the last byte. */
  String finish() {
    if (hex == null) {
      hex = HexFormat.of().formatHex(sha256.digest());
    }
    return hex;
  }
}
