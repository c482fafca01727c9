package io.aido.backup.core.pipeline;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A store whose uploads of objects under a prefix fail after a number of bytes, as a dropped
 * connection would. A test double: no real store fails on demand. Everything else goes to the
 * wrapped store, which keeps its all-or-nothing rule when the content stream throws.
 */
public class FailingBlobStore implements BlobStore {
  private final BlobStore inner;
  private final String prefix;
  private final long failAfter;

  public FailingBlobStore(BlobStore inner, String prefix, long failAfter) {
    this.inner = inner;
    this.prefix = prefix;
    this.failAfter = failAfter;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    if (!key.startsWith(prefix)) {
      return inner.create(key, content);
    }
    return inner.create(
        key,
        new FilterInputStream(content) {
          private long count;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (count >= failAfter) {
              throw new IOException("connection reset (injected after " + count + " bytes)");
            }
            int n = in.read(b, off, (int) Math.min(len, failAfter - count));
            if (n > 0) {
              count += n;
            }
            return n;
          }
        });
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    inner.delete(key);
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    return inner.open(key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    return inner.stat(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    return inner.list(prefix);
  }

  @Override
  public String describe() {
    return inner.describe();
  }
}
