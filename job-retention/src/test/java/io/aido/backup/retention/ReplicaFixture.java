package io.aido.backup.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Real backups for the replication tests: written through {@link Repository} (so the pipeline
 * compresses, encrypts and records the stored bytes' SHA-256), WAL-like objects, and a record of
 * the kind written before records carried that hash.
 */
final class ReplicaFixture {
  final KeyEncryptionKey kek;
  private final Random random = new Random(16);
  private Instant time = Instant.parse("2026-11-24T02:00:00Z");

  ReplicaFixture(Path dir) throws IOException, GeneralSecurityException {
    kek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("keyset.json"));
  }

  private Clock tick() {
    time = time.plus(Duration.ofHours(1));
    return Clock.fixed(time, ZoneOffset.UTC);
  }

  /** A committed db-logical backup with two parts of {@code size} random-ish bytes each. */
  BackupRecord backup(BlobStore store, int size) throws IOException, GeneralSecurityException {
    Repository repo = Repository.open(store, new Pipeline(PipelineSettings.defaults()), tick());
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, Source.database("todo", "15.8"), kek)) {
      w.writePart("todo.dump", new ByteArrayInputStream(content(size)));
      w.writePart("globals.sql", new ByteArrayInputStream(content(size / 3)));
      return w.commit(Map.of());
    }
  }

  /** A committed backup whose record has no stored SHA-256, as records before it was added. */
  BackupRecord oldStyleBackup(BlobStore store) throws IOException {
    Clock clock = tick();
    Repository repo = Repository.open(store, new Pipeline(PipelineSettings.defaults()), clock);
    BackupId id = BackupId.generate(clock.instant(), random);
    ObjectKey key = Layout.part(BackupKind.DB_LOGICAL, id, "todo.dump");
    ObjectInfo info = store.create(key, new ByteArrayInputStream(content(5000)));
    BackupRecord record =
        new BackupRecord(
            BackupRecord.FORMAT,
            id,
            BackupKind.DB_LOGICAL,
            Source.database("todo", "15.8"),
            "test",
            clock.instant(),
            clock.instant().plusSeconds(30),
            BackupRecord.COMPLETE,
            List.of(
                new PartRecord("todo.dump", key.name(), info.size(), 5000, "0".repeat(64), "zstd")),
            new WrappedDataKey("test-kek", "AES256_GCM_HKDF_1MB", "AAAA"),
            Map.of());
    repo.commit(record);
    return record;
  }

  /** A WAL-like object (replication copies whatever is under {@code wal/}, as stored). */
  ObjectKey wal(BlobStore store, String segment) throws IOException {
    ObjectKey key = Layout.walSegment("00000001", segment);
    store.create(key, new ByteArrayInputStream(content(3000)));
    return key;
  }

  byte[] content(int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    // half compressible, so zstd has work and sizes differ from the plaintext
    for (int i = 0; i < size / 2; i++) {
      b[i] = (byte) (i % 7);
    }
    return b;
  }

  /** Every object under {@code prefix}, name to bytes. */
  static Map<String, byte[]> contents(BlobReader store, String prefix) throws IOException {
    Map<String, byte[]> all = new TreeMap<>();
    for (ObjectInfo o : store.list(prefix)) {
      try (InputStream in = store.open(o.key())) {
        all.put(o.key().name(), in.readAllBytes());
      }
    }
    return all;
  }

  /** Reads every part of {@code record} from {@code store}, decrypting: proves the copy usable. */
  List<Long> readAll(BlobStore store, BackupRecord record)
      throws IOException, GeneralSecurityException {
    Repository repo =
        Repository.openExisting(
            store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    List<Long> sizes = new ArrayList<>();
    BackupReader r = repo.reader(record, kek);
    for (PartRecord p : record.parts()) {
      sizes.add(r.readPart(p, java.io.OutputStream.nullOutputStream()).plaintextSize());
    }
    return sizes;
  }
}
