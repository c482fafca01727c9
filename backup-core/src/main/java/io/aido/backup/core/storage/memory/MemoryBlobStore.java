package io.aido.backup.core.storage.memory;

import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectChangedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A store in memory that keeps every rule of {@link BlobStore}: create-only, all or nothing. For
 * tests and dry runs; it holds whole objects in the heap, so it is not for large data.
 */
public final class MemoryBlobStore implements BlobStore, AtomicReplace {
  private record Entry(byte[] bytes, Instant created) {}

  private final Map<ObjectKey, Entry> objects = new ConcurrentSkipListMap<>();
  private final Clock clock;
  private final String name;

  public MemoryBlobStore() {
    this(Clock.systemUTC(), "memory://");
  }

  public MemoryBlobStore(Clock clock, String name) {
    this.clock = clock;
    this.name = name;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    if (objects.containsKey(key)) {
      throw new ObjectExistsException(key, name);
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try {
      content.transferTo(buffer);
    } catch (IOException e) {
      throw new IOException(
          StorageMessages.failed("create", key, name, StorageMessages.cause(e)), e);
    }
    Entry entry = new Entry(buffer.toByteArray(), clock.instant());
    if (objects.putIfAbsent(key, entry) != null) {
      throw new ObjectExistsException(key, name);
    }
    return new ObjectInfo(key, entry.bytes.length, entry.created);
  }

  @Override
  public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
      throws IOException {
    Entry old = objects.get(key);
    if (old == null) {
      throw new ObjectNotFoundException(key, name);
    }
    if (old.bytes.length != expected.size() || !old.created.equals(expected.created())) {
      throw new ObjectChangedException(key, name);
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try {
      content.transferTo(buffer);
    } catch (IOException e) {
      throw new IOException(
          StorageMessages.failed("replace", key, name, StorageMessages.cause(e)), e);
    }
    Entry entry = new Entry(buffer.toByteArray(), clock.instant());
    if (!objects.replace(key, old, entry)) {
      throw new ObjectChangedException(key, name);
    }
    return new ObjectInfo(key, entry.bytes.length, entry.created);
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    Entry e = objects.get(key);
    if (e == null) {
      throw new ObjectNotFoundException(key, name);
    }
    int from = (int) Math.min(offset, e.bytes.length);
    int len = length < 0 ? e.bytes.length - from : (int) Math.min(length, e.bytes.length - from);
    return new ByteArrayInputStream(e.bytes, from, len);
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) {
    Entry e = objects.get(key);
    return e == null
        ? Optional.empty()
        : Optional.of(new ObjectInfo(key, e.bytes.length, e.created));
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    return objects.entrySet().stream()
        .filter(en -> en.getKey().startsWith(prefix))
        .map(en -> new ObjectInfo(en.getKey(), en.getValue().bytes.length, en.getValue().created))
        .toList();
  }

  @Override
  public void delete(ObjectKey key) {
    objects.remove(key);
  }

  /** Replaces an object's bytes behind the store's back: for tests that tamper with backups. */
  public void tamper(ObjectKey key, byte[] bytes) {
    Entry old = objects.get(key);
    objects.put(key, new Entry(bytes.clone(), old == null ? clock.instant() : old.created));
  }

  @Override
  public String describe() {
    return name;
  }
}
