package io.aido.backup.core.crypto;

import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The plaintext side of a Tink decrypting stream, with failures sorted by where they came from.
 *
 * <p>Tink reports a failed authentication and a failed read of the ciphertext alike, as a bare
 * {@link IOException}; while it looks for the key that matches the first segment it even replaces a
 * storage failure with "No matching key found". So the ciphertext is read through a {@link Source}
 * that remembers the first failure it passed on: when Tink throws and the source failed, that
 * storage failure is rethrown as itself; otherwise the failure is an authentication failure and
 * becomes a {@link DecryptionFailedException} naming the object and the plaintext offset.
 *
 * <p>A failure is sticky: every later read throws it again, so a consumer that ignores one failure
 * still never sees a clean end of stream.
 */
final class AuthenticatedInputStream extends InputStream {
  private final InputStream plaintext;
  private final Source source;
  private final ObjectKey key;
  private final byte[] one = new byte[1];
  private long position;
  private IOException failure;

  AuthenticatedInputStream(InputStream plaintext, Source source, ObjectKey key) {
    this.plaintext = Objects.requireNonNull(plaintext, "plaintext");
    this.source = Objects.requireNonNull(source, "source");
    this.key = Objects.requireNonNull(key, "key");
  }

  @Override
  public int read() throws IOException {
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    int n;
    try {
      n = plaintext.read(b, off, len);
    } catch (IOException e) {
      failure = classify(e);
      throw failure;
    }
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    if (failure != null) {
      throw failure;
    }
    try {
      return plaintext.available();
    } catch (IOException e) {
      failure = classify(e);
      throw failure;
    }
  }

  @Override
  public void close() throws IOException {
    plaintext.close();
  }

  private IOException classify(IOException fromTink) {
    IOException storage = source.failure();
    if (storage != null) {
      return storage;
    }
    return new DecryptionFailedException(key, position, fromTink);
  }

  /** The ciphertext as Tink reads it; remembers the first failure of the underlying stream. */
  static final class Source extends InputStream {
    private final InputStream ciphertext;
    private IOException failure;

    Source(InputStream ciphertext) {
      this.ciphertext = Objects.requireNonNull(ciphertext, "ciphertext");
    }

    IOException failure() {
      return failure;
    }

    @Override
    public int read() throws IOException {
      try {
        return ciphertext.read();
      } catch (IOException e) {
        throw remember(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return ciphertext.read(b, off, len);
      } catch (IOException e) {
        throw remember(e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return ciphertext.skip(n);
      } catch (IOException e) {
        throw remember(e);
      }
    }

    @Override
    public int available() throws IOException {
      try {
        return ciphertext.available();
      } catch (IOException e) {
        throw remember(e);
      }
    }

    @Override
    public void close() throws IOException {
      ciphertext.close();
    }

    private IOException remember(IOException e) {
      if (failure == null) {
        failure = e;
      }
      return e;
    }
  }
}
