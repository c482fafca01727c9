package io.aido.backup.core.retention;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Fault injection around a real store (a wrapper, as the storage contract intends): {@link #fault}
 * decides, per key, whether a deletion throws, and what.
 */
final class FaultyStore implements BlobStore {
  interface Fault {
    /** Throws to make the deletion of {@code key} fail; returns to let it happen. */
    void onDelete(ObjectKey key) throws IOException;
  }

  private final BlobStore delegate;
  Fault fault = key -> {};

  FaultyStore(BlobStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    return delegate.create(key, content);
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    fault.onDelete(key);
    delegate.delete(key);
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    return delegate.open(key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    return delegate.stat(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    return delegate.list(prefix);
  }

  @Override
  public String describe() {
    return delegate.describe();
  }
}
