package io.aido.backup.core.repository;

import static io.aido.backup.core.storage.FaultInjectingBlobStore.under;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.RepositoryFormat;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.catalog.UnsupportedFormatException;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineException;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.pipeline.TestData;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-24T02:00:00Z"), ZoneOffset.UTC);
  private static final Source SOURCE = Source.database("todo", "15.4");
  private static KeyEncryptionKey kek;
  private static KeyEncryptionKey otherKek;

  private final MemoryBlobStore store = new MemoryBlobStore();
  private final Pipeline pipeline = new Pipeline(new PipelineSettings(3, 2, 64 * 1024, 2));

  @BeforeAll
  static void keys(@TempDir Path dir) throws Exception {
    kek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("kek.json"));
    otherKek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("other.json"));
  }

  private BackupRecord backup(Repository repo, byte[]... parts) throws Exception {
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, SOURCE, kek)) {
      for (int i = 0; i < parts.length; i++) {
        w.writePart("part-" + i, new ByteArrayInputStream(parts[i]));
      }
      return w.commit(Map.of("rowCounts", Map.of("todo", 3)));
    }
  }

  @Test
  void open_newStore_createsFormatOnce() throws IOException {
    Repository first = Repository.open(store, pipeline, CLOCK);
    byte[] format = store.open(Layout.format()).readAllBytes();
    Repository second =
        Repository.open(store, pipeline, Clock.offset(CLOCK, java.time.Duration.ofDays(1)));

    assertThat(first.format().format()).isEqualTo(Layout.REPOSITORY_FORMAT);
    assertThat(first.format().toolVersion()).isEqualTo("dev");
    assertThat(second.format()).isEqualTo(first.format());
    assertThat(store.open(Layout.format()).readAllBytes()).isEqualTo(format);
  }

  @Test
  void openExisting_emptyStore_throwsNoRepositoryAndCreatesNothing() throws IOException {
    assertThatThrownBy(() -> Repository.openExisting(store, pipeline, CLOCK))
        .isInstanceOf(NoRepositoryException.class)
        .hasMessageStartingWith("no repository at '" + store.describe() + "'");
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void openExisting_createdRepository_readsItsFormat() throws IOException {
    Repository created = Repository.open(store, pipeline, CLOCK);

    assertThat(Repository.openExisting(store, pipeline, CLOCK).format())
        .isEqualTo(created.format());
  }

  @Test
  void open_anotherJobCreatesFormatFirst_usesTheirs() throws IOException {
    RepositoryFormat theirs = new RepositoryFormat(1, Instant.parse("2026-01-01T00:00:00Z"), "0.9");
    // a test double: the race between stat and create cannot be timed with a real store
    FaultInjectingBlobStore racing =
        new FaultInjectingBlobStore(store)
            .before(
                Operation.CREATE,
                key -> {
                  if (key.equals(Layout.format()) && store.stat(key).isEmpty()) {
                    store.create(key, new ByteArrayInputStream(RecordJson.write(theirs)));
                  }
                });

    Repository repo = Repository.open(racing, pipeline, CLOCK);

    assertThat(repo.format()).isEqualTo(theirs);
  }

  @Test
  void checkWritable_storeTakesWrites_leavesNothingBehind() throws IOException {
    Repository repo = Repository.open(store, pipeline, CLOCK);

    repo.checkWritable();

    assertThat(store.list(Layout.PROBE)).isEmpty();
  }

  @Test
  void checkWritable_storeRefusesWrites_failsNamingTheStore() throws IOException {
    Repository.open(store, pipeline, CLOCK);
    // a store failing every probe write, as a read-only credential would
    Repository repo =
        Repository.open(
            new FaultInjectingBlobStore(store).failUploadsAfter(under(Layout.PROBE), 0),
            pipeline,
            CLOCK);

    assertThatThrownBy(repo::checkWritable)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not take new objects")
        .hasMessageContaining(store.describe());
    assertThat(store.list(Layout.PROBE)).isEmpty();
  }

  @Test
  void open_newerFormat_refused() throws IOException {
    store.create(
        Layout.format(),
        new ByteArrayInputStream(
            RecordJson.write(new RepositoryFormat(2, CLOCK.instant(), "9.0"))));
    assertThatThrownBy(() -> Repository.open(store, pipeline, CLOCK))
        .isInstanceOf(UnsupportedFormatException.class)
        .hasMessageContaining("format 2")
        .hasMessageContaining("format.json");
  }

  @Test
  void open_garbageFormatFile_fails() throws IOException {
    store.create(
        Layout.format(), new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> Repository.open(store, pipeline, CLOCK))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("format.json");
  }

  @Test
  void backup_thenRead_roundTripsEveryPart() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    byte[] empty = new byte[0];
    byte[] big = TestData.bytes(3 * 1024 * 1024, 1);
    BackupRecord r = backup(repo, empty, big);

    assertThat(repo.catalog().resolve("latest", BackupKind.DB_LOGICAL)).isEqualTo(r);
    assertThat(r.id().time()).isEqualTo(CLOCK.instant());
    assertThat(r.encryption().kekId()).isEqualTo(kek.id());
    assertThat(r.parts())
        .extracting(PartRecord::object)
        .containsExactly(
            "data/db-logical/" + r.id() + "/part-0", "data/db-logical/" + r.id() + "/part-1");
    assertThat(r.part("part-1").orElseThrow().plaintextSha256()).isEqualTo(TestData.sha256(big));
    assertThat(r.facts()).containsKey("rowCounts");

    BackupReader reader = repo.reader(r, kek);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    reader.readPart(r.part("part-1").orElseThrow(), out);
    assertThat(out.toByteArray()).isEqualTo(big);
    try (InputStream in = reader.openPart(r.part("part-0").orElseThrow())) {
      assertThat(in.readAllBytes()).isEmpty();
    }
    try (InputStream in = reader.openPart(r.part("part-1").orElseThrow())) {
      assertThat(in.readAllBytes()).isEqualTo(big);
    }
  }

  @Test
  void openPart_writtenAsStream_roundTrips() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    byte[] content = TestData.bytes(500_000, 2);
    BackupRecord r;
    try (BackupWriter w = repo.begin(BackupKind.MANIFESTS, SOURCE, kek)) {
      try (PartOutputStream out = w.openPart("archive.tar")) {
        out.write(content);
      }
      r = w.commit(Map.of());
    }
    try (InputStream in = repo.reader(r, kek).openPart(r.parts().get(0))) {
      assertThat(in.readAllBytes()).isEqualTo(content);
    }
  }

  @Test
  void close_withoutCommit_leavesBackupInvisible() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    try (BackupWriter w = repo.begin(BackupKind.DAPR, SOURCE, kek)) {
      w.writePart("state", new ByteArrayInputStream(new byte[] {1, 2, 3}));
      PartOutputStream unfinished = w.openPart("more");
      unfinished.write(new byte[100]);
    }
    assertThat(repo.catalog().list(null)).isEmpty();
    assertThat(store.list("catalog/")).isEmpty();
    assertThat(store.list("data/")).as("finished part stays, invisible").hasSize(1);
  }

  @Test
  void writePart_sourceFails_backupFailsWithoutRecordOrObject() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, SOURCE, kek)) {
      InputStream dying =
          new InputStream() {
            private int left = 200_000;

            @Override
            public int read() throws IOException {
              if (left-- <= 0) {
                throw new IOException("pg_dump: connection lost");
              }
              return 'x';
            }
          };
      assertThatThrownBy(() -> w.writePart("todo.dump", dying))
          .isInstanceOf(PipelineException.class)
          .hasMessageContaining("source stage failed: pg_dump: connection lost");
      assertThatThrownBy(() -> w.commit(Map.of()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("failed earlier");
    }
    assertThat(store.list("catalog/")).isEmpty();
    assertThat(store.list("data/")).isEmpty();
  }

  @Test
  void writePart_storeFails_backupFailsWithoutRecordOrObject() throws Exception {
    Repository repo =
        Repository.open(
            new FaultInjectingBlobStore(store).failUploadsAfter(under("data/"), 50_000),
            pipeline,
            CLOCK);
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, SOURCE, kek)) {
      assertThatThrownBy(
              () ->
                  w.writePart("todo.dump", new ByteArrayInputStream(TestData.bytes(1_000_000, 3))))
          .isInstanceOf(PipelineException.class)
          .hasMessageContaining("upload stage failed");
    }
    assertThat(store.list("catalog/")).isEmpty();
    assertThat(store.list("data/")).isEmpty();
  }

  @Test
  void commit_withoutParts_refused() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    try (BackupWriter w = repo.begin(BackupKind.DAPR, SOURCE, kek)) {
      assertThatThrownBy(() -> w.commit(Map.of())).hasMessageContaining("has no parts");
    }
  }

  @Test
  void writePart_sameNameTwice_refused() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    try (BackupWriter w = repo.begin(BackupKind.DAPR, SOURCE, kek)) {
      w.writePart("state", new ByteArrayInputStream(new byte[1]));
      assertThatThrownBy(() -> w.writePart("state", new ByteArrayInputStream(new byte[1])))
          .hasMessageContaining("already written");
      assertThatThrownBy(() -> w.writePart("a/b", new ByteArrayInputStream(new byte[1])))
          .hasMessageContaining("invalid part name");
    }
  }

  @Test
  void readPart_tamperedObject_failsNamingBackupAndPart() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(2_000_000, 4));
    PartRecord part = r.parts().get(0);
    byte[] stored = store.open(ObjectKey.of(part.object())).readAllBytes();
    stored[stored.length - 5000] ^= 0x40;
    store.tamper(ObjectKey.of(part.object()), stored);

    BackupReader reader = repo.reader(r, kek);
    assertThatThrownBy(() -> reader.readPart(part, OutputStream.nullOutputStream()))
        .isInstanceOf(CorruptPartException.class)
        .hasMessageStartingWith("backup " + r.id() + " part 'part-0': ")
        .hasMessageContaining("authentication failed at plaintext byte")
        .hasMessageContaining("discard it");
    assertThatThrownBy(
            () -> {
              try (InputStream in = reader.openPart(part)) {
                in.transferTo(OutputStream.nullOutputStream());
              }
            })
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("nothing was restored");
  }

  @Test
  void openPart_recordWithEditedHash_throwsAtEndInsteadOfEnding() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    byte[] content = TestData.bytes(100_000, 5);
    BackupRecord r = backup(repo, content);
    BackupRecord edited = withPart(r, editedHash(r.parts().get(0)));
    PartRecord part = edited.parts().get(0);

    BackupReader reader = repo.reader(edited, kek);
    InputStream in = reader.openPart(part);
    byte[] buffer = new byte[content.length];
    int got = in.readNBytes(buffer, 0, content.length);
    assertThat(got).isEqualTo(content.length);
    assertThatThrownBy(in::read)
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("backup " + r.id() + " part 'part-0'")
        .hasMessageContaining("SHA-256")
        .hasMessageContaining("nothing was restored");
    in.close();
    assertThatThrownBy(() -> reader.readPart(part, OutputStream.nullOutputStream()))
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("the record says " + part.plaintextSha256());
  }

  @Test
  void openPart_recordWithSmallerSize_stopsBeforeExtraBytes() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(100_000, 6));
    PartRecord p = r.parts().get(0);
    PartRecord shorter =
        new PartRecord(
            p.name(), p.object(), p.storedSize(), 10, p.plaintextSha256(), p.compression());

    InputStream in = repo.reader(withPart(r, shorter), kek).openPart(shorter);
    assertThatThrownBy(() -> in.readNBytes(100_000))
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("longer than the 10 bytes");
    in.close();
  }

  @Test
  void readPart_missingObject_failsNamingBackupAndPart() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1});
    store.delete(ObjectKey.of(r.parts().get(0).object()));

    assertThatThrownBy(
            () -> repo.reader(r, kek).readPart(r.parts().get(0), OutputStream.nullOutputStream()))
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("backup " + r.id() + " part 'part-0': object '")
        .hasMessageContaining("is missing in memory://");
  }

  @Test
  void readPart_downloadFails_isStorageFailureNotCorruption() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(2_000_000, 7));
    // a test double: a connection that drops part-way
    FaultInjectingBlobStore dropping =
        new FaultInjectingBlobStore(store)
            .failReadsAfter(under("data/"), 0, "connection reset by peer");
    Repository flaky = Repository.open(dropping, pipeline, CLOCK);

    assertThatThrownBy(
            () -> flaky.reader(r, kek).readPart(r.parts().get(0), OutputStream.nullOutputStream()))
        .isNotInstanceOf(CorruptPartException.class)
        .hasMessageContaining("backup " + r.id() + " part 'part-0'")
        .hasMessageContaining("download stage failed: connection reset by peer");
  }

  @Test
  void reader_wrongKek_failsNamingKeys() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1});

    assertThatThrownBy(() -> repo.reader(r, otherKek))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining(kek.id())
        .hasMessageContaining(otherKek.id());
  }

  /** Rewrites the stored record's JSON, as someone with write access to the bucket could. */
  private void editStoredRecord(BackupRecord r, java.util.function.UnaryOperator<String> edit)
      throws IOException {
    ObjectKey key = Layout.record(r.kind(), r.id());
    String json = new String(store.open(key).readAllBytes(), StandardCharsets.UTF_8);
    store.tamper(key, edit.apply(json).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void commit_newBackup_recordIsSealedAndMarkerCreatedOnce() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord first = backup(repo, TestData.bytes(1000, 1));
    byte[] marker = store.open(Layout.sealMarker()).readAllBytes();
    BackupRecord second = backup(repo, TestData.bytes(1000, 2));

    assertThat(first.seal()).isNotBlank();
    assertThat(second.seal()).isNotBlank();
    assertThat(repo.catalog().find(first.id()).orElseThrow()).isEqualTo(first);
    assertThat(store.open(Layout.sealMarker()).readAllBytes()).isEqualTo(marker);
    assertThat(new String(marker, StandardCharsets.UTF_8))
        .contains("\"sealedSince\" : \"" + first.startedAt() + "\"");
    repo.reader(second, kek).readPart(second.parts().get(0), OutputStream.nullOutputStream());
  }

  @Test
  void reader_recordFactsEdited_refusedAsTamperedNamingTheBackup() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(1000, 1));
    editStoredRecord(r, json -> json.replace("\"todo\" : 3", "\"todo\" : 4"));
    BackupRecord edited = repo.catalog().find(r.id()).orElseThrow();
    assertThat(edited.facts()).isNotEqualTo(r.facts());

    assertThatThrownBy(() -> repo.reader(edited, kek))
        .isInstanceOf(TamperedRecordException.class)
        .hasMessageStartingWith("backup " + r.id() + ": ")
        .hasMessageContaining("failed authentication")
        .hasMessageContaining("do not restore it");
  }

  @Test
  void reader_kekIdEdited_refusedAsTampered() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(1000, 1));
    editStoredRecord(r, json -> json.replace(r.encryption().kekId(), "tink-keyset:1"));
    BackupRecord edited = repo.catalog().find(r.id()).orElseThrow();

    assertThatThrownBy(() -> repo.reader(edited, kek)).isInstanceOf(TamperedRecordException.class);
  }

  @Test
  void reader_sealStrippedAfterTheMarker_refusedAsTampered() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(1000, 1));
    store.tamper(Layout.record(r.kind(), r.id()), RecordJson.write(r.withSeal(null)));
    BackupRecord stripped = repo.catalog().find(r.id()).orElseThrow();

    assertThatThrownBy(() -> repo.reader(stripped, kek))
        .isInstanceOf(TamperedRecordException.class)
        .hasMessageContaining("has no seal");
  }

  @Test
  void reader_unsealedRecordOfAnEarlierVersion_reads() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(1000, 1));
    // what an earlier version left: no seal, no marker
    store.tamper(Layout.record(r.kind(), r.id()), RecordJson.write(r.withSeal(null)));
    store.delete(Layout.sealMarker());
    BackupRecord legacy = repo.catalog().find(r.id()).orElseThrow();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    repo.reader(legacy, kek).readPart(legacy.parts().get(0), out);
    assertThat(out.toByteArray()).isEqualTo(TestData.bytes(1000, 1));
  }

  @Test
  void reader_recordOtherThanTheStoredOne_refused() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, TestData.bytes(1000, 1));
    BackupRecord forged = r.withSeal(null);

    assertThatThrownBy(() -> repo.reader(forged, kek))
        .isInstanceOf(TamperedRecordException.class)
        .hasMessageContaining("changed while it was being read");
  }

  @Test
  void record_holdsNoPlainDataKey() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1});
    String json =
        new String(
            store.open(Layout.record(r.kind(), r.id())).readAllBytes(), StandardCharsets.UTF_8);
    assertThat(json).contains(r.encryption().ciphertext()).doesNotContain("AESGcmHkdf");
  }

  @Test
  void checkStoredParts_intactBackup_passes() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1, 2, 3}, new byte[] {4});

    repo.reader(r, kek).checkStoredParts();
  }

  @Test
  void checkStoredParts_recordedStoredSizeEdited_throwsCorruptNamingThePart() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1, 2, 3});
    PartRecord p = r.parts().get(0);
    BackupRecord edited =
        withPart(
            r,
            new PartRecord(
                p.name(),
                p.object(),
                p.storedSize() + 1,
                p.plaintextSize(),
                p.plaintextSha256(),
                p.compression()));

    BackupReader reader = repo.reader(edited, kek);

    assertThatThrownBy(reader::checkStoredParts)
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("part 'part-0'")
        .hasMessageContaining("record says " + (p.storedSize() + 1))
        .hasMessageContaining("nothing was restored");
    assertThatThrownBy(
            () -> reader.readPart(edited.parts().get(0), OutputStream.nullOutputStream()))
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("stored bytes but the record says");
  }

  @Test
  void checkStoredParts_partDeleted_throwsCorruptSayingMissing() throws Exception {
    Repository repo = Repository.open(store, pipeline, CLOCK);
    BackupRecord r = backup(repo, new byte[] {1, 2, 3});
    store.delete(ObjectKey.of(r.parts().get(0).object()));

    assertThatThrownBy(() -> repo.reader(r, kek).checkStoredParts())
        .isInstanceOf(CorruptPartException.class)
        .hasMessageContaining("is missing in " + store.describe());
  }

  private static PartRecord editedHash(PartRecord p) {
    String sha = p.plaintextSha256();
    String edited = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
    return new PartRecord(
        p.name(), p.object(), p.storedSize(), p.plaintextSize(), edited, p.compression());
  }

  /**
   * {@code r} with one part edited, stored as an unsealed record of an earlier version (no seal, no
   * marker), where the part checks are what catches the edit.
   */
  private BackupRecord withPart(BackupRecord r, PartRecord part) {
    BackupRecord edited =
        new BackupRecord(
            r.format(),
            r.id(),
            r.kind(),
            r.source(),
            r.toolVersion(),
            r.startedAt(),
            r.finishedAt(),
            r.status(),
            List.of(part),
            r.encryption(),
            r.facts());
    store.tamper(Layout.record(r.kind(), r.id()), RecordJson.write(edited));
    store.delete(Layout.sealMarker());
    return edited;
  }
}
