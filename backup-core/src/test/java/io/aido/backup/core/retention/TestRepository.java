package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A repository in a {@link MemoryBlobStore} whose clock the test sets, so that objects get the
 * creation times of the backups they belong to. The record objects hold placeholder JSON: retention
 * never reads a record's object, only the records the catalog lists.
 */
final class TestRepository {
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void set(Instant t) {
      now = t;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  final MutableClock clock = new MutableClock(Instant.EPOCH);
  final BlobStore store;
  private int next;

  /** In memory, with object times set by {@link #clock}. */
  TestRepository() {
    this.store = new MemoryBlobStore(clock, "memory://test");
  }

  /** In {@code store}; {@link #clock} has no effect on object times. */
  TestRepository(BlobStore store) {
    this.store = store;
  }

  /** Writes a backup of two parts (100 and 50 bytes), then its record, at {@code start}. */
  BackupRecord backup(BackupKind kind, String database, Instant start) throws IOException {
    return backup(store, kind, database, start);
  }

  BackupRecord backup(BlobStore target, BackupKind kind, String database, Instant start)
      throws IOException {
    clock.set(start);
    BackupId id = Histories.id(start, next++);
    List<PartRecord> parts =
        List.of(part(target, kind, id, "part-0", 100), part(target, kind, id, "part-1", 50));
    clock.set(start.plus(Duration.ofMinutes(1)));
    put(target, Layout.record(kind, id), "{\"placeholder\":true}");
    return new BackupRecord(
        BackupRecord.FORMAT,
        id,
        kind,
        Source.database(database, "15"),
        "test",
        start,
        start.plus(Duration.ofMinutes(1)),
        BackupRecord.COMPLETE,
        parts,
        new WrappedDataKey("kek", "AES256_GCM_HKDF_1MB", "AAAA"),
        Map.of());
  }

  /** Writes a verification result at {@code at}. */
  void verification(BackupRecord r, Instant at, boolean ok) throws IOException {
    clock.set(at);
    put(store, Layout.verification(r.kind(), r.id(), at), "{\"ok\":" + ok + "}");
  }

  /** Every object name in the store. */
  Set<String> names() throws IOException {
    return store.list("").stream()
        .map(o -> o.key().name())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** Every object name a backup has: record and parts. */
  static Set<String> namesOf(BackupRecord r) {
    Set<String> names = new TreeSet<>();
    names.add(Layout.record(r.kind(), r.id()).name());
    r.parts().forEach(p -> names.add(p.object()));
    return names;
  }

  private PartRecord part(BlobStore target, BackupKind kind, BackupId id, String name, int size)
      throws IOException {
    ObjectKey key = Layout.part(kind, id, name);
    ObjectInfo info = target.create(key, new ByteArrayInputStream(new byte[size]));
    return new PartRecord(name, key.name(), info.size(), size, "0".repeat(64), "zstd");
  }

  static void put(BlobStore target, ObjectKey key, String json) throws IOException {
    target.create(key, new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }
}
