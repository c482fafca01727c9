package io.aido.backup.core.pipeline;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Deterministic test content generated on the fly: alternating blocks of random bytes and of
 * repetitive text, so both zstd paths run, without ever holding the content in memory.
 */
public final class TestData extends InputStream {
  private static final int BLOCK = 64 * 1024;
  private static final byte[] TEXT =
      "INSERT INTO todo (id, title, done) VALUES (42, 'water the plants', false);\n"
          .getBytes(StandardCharsets.US_ASCII);

  private final long size;
  private final long seed;
  private final byte[] block = new byte[BLOCK];
  private long position;
  private int blockFill;
  private int blockPos;
  private long blockIndex;

  public TestData(long size, long seed) {
    this.size = size;
    this.seed = seed;
  }

  /** The whole content in memory: for small sizes only. */
  public static byte[] bytes(int size, long seed) {
    try (TestData d = new TestData(size, seed)) {
      return d.readAllBytes();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Hex SHA-256 of what {@code new TestData(size, seed)} yields. */
  public static String sha256(long size, long seed) {
    try (TestData d = new TestData(size, seed)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[BLOCK];
      int n;
      while ((n = d.read(buffer)) > 0) {
        md.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.io.IOException | NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (position >= size) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    if (blockPos == blockFill) {
      fill();
    }
    int n = (int) Math.min(Math.min(len, blockFill - blockPos), size - position);
    System.arraycopy(block, blockPos, b, off, n);
    blockPos += n;
    position += n;
    return n;
  }

  private void fill() {
    if (blockIndex % 2 == 0) {
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + blockIndex);
      for (int i = 0; i < BLOCK; i += 8) {
        long v = r.nextLong();
        for (int j = 0; j < 8; j++) {
          block[i + j] = (byte) (v >>> (8 * j));
        }
      }
    } else {
      for (int i = 0; i < BLOCK; i++) {
        block[i] = TEXT[(int) ((i + blockIndex) % TEXT.length)];
      }
    }
    blockIndex++;
    blockFill = BLOCK;
    blockPos = 0;
  }
}
