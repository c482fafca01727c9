package io.aido.backup.postgres;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The custom format's integers and strings, read through a {@link DumpTee} (integers also written,
 * for an archive made of parts of another): an integer is a sign byte and {@code size}
 * little-endian bytes; a string is an integer length ({@code -1} for null) and that many bytes.
 */
record DumpInts(int size) {
  long read(DumpTee tee) throws IOException, UnparseableDump {
    boolean negative = tee.readByte() != 0;
    long value = 0;
    for (int i = 0; i < size; i++) {
      long b = tee.readByte();
      if (i < 8) {
        value |= b << (8 * i);
      }
    }
    return negative ? -value : value;
  }

  /** Writes {@code value}, which is not negative. */
  void write(OutputStream out, long value) throws IOException {
    out.write(0);
    for (int i = 0; i < size; i++) {
      out.write(i < 8 ? (int) (value >>> (8 * i)) & 0xff : 0);
    }
  }

  /** Copies a string without keeping it; returns its length, -1 for null. */
  long skipString(DumpTee tee) throws IOException, UnparseableDump {
    long length = read(tee);
    if (length < -1 || length > Integer.MAX_VALUE) {
      throw new UnparseableDump("string length " + length);
    }
    if (length > 0) {
      tee.copy(length);
    }
    return length;
  }

  /** A string of at most 1 MiB, or null. */
  String readString(DumpTee tee) throws IOException, UnparseableDump {
    long length = read(tee);
    if (length < -1 || length > 1 << 20) {
      throw new UnparseableDump("string length " + length);
    }
    byte[] bytes = new byte[(int) Math.max(length, 0)];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) tee.readByte();
    }
    return length < 0 ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}
