package io.aido.backup.core.crypto;

import io.aido.backup.core.storage.ObjectKey;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Turns Tink's bare "authentication failed" I/O errors into ones that name the object. */
final class AuthenticatedInputStream extends FilterInputStream {
  private final ObjectKey key;
  private long position;

  AuthenticatedInputStream(InputStream in, ObjectKey key) {
    super(in);
    this.key = key;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = super.read(b, off, len);
      if (n > 0) {
        position += n;
      }
      return n;
    } catch (IOException e) {
      if (e instanceof DecryptionFailedException) {
        throw e;
      }
      throw new DecryptionFailedException(key, position, e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    position += skipped;
    return skipped;
  }
}
