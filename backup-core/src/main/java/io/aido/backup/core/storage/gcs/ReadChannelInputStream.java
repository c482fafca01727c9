package io.aido.backup.core.storage.gcs;

import com.google.cloud.ReadChannel;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * An object's bytes as a stream; every failure, including the client's unchecked ones, becomes an
 * {@link IOException} naming the object. A download that ends before the bytes asked for is a
 * failure too: the client takes a short answer for the end of the object, and the bytes missing
 * would otherwise read as a truncated (tampered) backup rather than as the failed read they are.
 */
final class ReadChannelInputStream extends InputStream {
  private final ReadChannel channel;
  private final ObjectKey key;
  private final String store;
  private final long expected;
  private long read;
  private boolean closed;

  /**
   * @param expected the bytes the range holds; reaching the end before them throws
   */
  ReadChannelInputStream(ReadChannel channel, ObjectKey key, String store, long expected) {
    this.channel = channel;
    this.key = key;
    this.store = store;
    this.expected = expected;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException(StorageMessages.failed("read", key, store, "stream closed"));
    }
    if (len == 0) {
      return 0;
    }
    ByteBuffer target = ByteBuffer.wrap(b, off, len);
    int n;
    try {
      do {
        n = channel.read(target);
      } while (n == 0);
    } catch (IOException | RuntimeException e) {
      throw new IOException(
          StorageMessages.failed("read", key, store, StorageMessages.cause(e)), e);
    }
    if (n < 0 && read < expected) {
      throw new IOException(
          StorageMessages.failed(
              "read",
              key,
              store,
              "the download ended after " + read + " of " + expected + " bytes"));
    }
    if (n > 0) {
      read += n;
    }
    return n;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      channel.close();
    }
  }
}
