package io.aido.backup.core.repository.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * The content of a replacement, which must be exactly {@code length} bytes: a source that ends
 * sooner (a store read cut short) makes the read that meets its end throw, so the store's replace
 * fails and keeps the old content instead of storing a shorter object. Each byte read is reported
 * to {@code counted}.
 */
final class ExactLengthStream extends FilterInputStream {
  private final long length;
  private final String what;
  private final LongConsumer counted;
  private long read;

  ExactLengthStream(InputStream in, long length, String what, LongConsumer counted) {
    super(in);
    this.length = length;
    this.what = what;
    this.counted = counted;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int len) throws IOException {
    int n = super.read(buffer, offset, len);
    if (n > 0) {
      read += n;
      counted.accept(n);
    } else if (n < 0 && read < length) {
      throw new IOException(what + " ended after " + read + " of " + length + " bytes");
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    throw new IOException("skip is not supported");
  }
}
