package io.aido.backup.core.repository.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.FakeCloudKms;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ReplacingFaultInjectingBlobStore;
import io.aido.backup.core.storage.StorageMessages;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rewrap on a real filesystem repository with real keyset files. The Cloud KMS cases use {@link
 * FakeCloudKms} (WireMock speaking the KMS REST API), because Cloud KMS cannot run here.
 */
class KeyRewrapTest {
  private static final Source SOURCE = Source.database("todo", "15.4");
  private static final String KMS_KEY =
      "gcp-kms://projects/p/locations/global/keyRings/backups/cryptoKeys/kek";
  private static FakeCloudKms kms;

  @TempDir Path dir;
  private LocalBlobStore store;
  private Repository repo;
  private Path keyset;
  private final Pipeline pipeline = new Pipeline(new PipelineSettings(2, 2, 64 * 1024, 2));

  @BeforeAll
  static void startKms() {
    kms = new FakeCloudKms();
  }

  @AfterAll
  static void stopKms() {
    kms.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    kms.failWith(0);
    store = new LocalBlobStore(dir.resolve("repo"));
    repo = Repository.open(store, pipeline, Clock.systemUTC());
    keyset = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  private BackupRecord backup(KeyEncryptionKey kek, long seed) throws Exception {
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, SOURCE, kek)) {
      w.writePart("todo.dump", new ByteArrayInputStream(content(seed)));
      return w.commit(Map.of());
    }
  }

  private static byte[] content(long seed) {
    byte[] bytes = new byte[200_000];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private byte[] restore(BackupRecord record, KeyEncryptionKey kek) throws Exception {
    BackupRecord stored = repo.catalog().find(record.id()).orElseThrow();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PartRecord part = stored.parts().get(0);
    repo.reader(stored, kek).readPart(part, out);
    return out.toByteArray();
  }

  private KeyEncryptionKey current() throws Exception {
    return KeyEncryptionKeys.open(keyset.toString());
  }

  @Test
  void rotate_backUp_rewrap_removeOldKey_everyBackupStillRestores() throws Exception {
    BackupRecord before = backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    BackupRecord after = backup(current(), 2);
    List<byte[]> dataBefore = dataObjects();

    KeyRewrap.Report report =
        new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.REWRAPPED)).isEqualTo(1);
    assertThat(report.count(KeyRewrap.Status.CURRENT)).isEqualTo(1);
    assertThat(report.count(KeyRewrap.Status.FAILED)).isZero();
    assertThat(dataObjects())
        .usingElementComparator(Arrays::compare)
        .containsExactlyElementsOf(dataBefore);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);
    KeyEncryptionKey newOnly = KeyEncryptionKeys.open(onlyNew.toString());
    assertThat(restore(before, newOnly)).isEqualTo(content(1));
    assertThat(restore(after, newOnly)).isEqualTo(content(2));
    WrappedDataKey moved = repo.catalog().find(before.id()).orElseThrow().encryption();
    assertThat(moved.kekId()).isEqualTo(newOnly.id());
    assertThat(moved.boundTo()).isEqualTo(Layout.keyBinding(before.kind(), before.id()));
  }

  @Test
  void rewrap_sealedRecord_isSealedAgainAndStillAuthenticates() throws Exception {
    BackupRecord before = backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);

    new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    BackupRecord after = repo.catalog().find(before.id()).orElseThrow();
    assertThat(after.seal()).isNotBlank().isNotEqualTo(before.seal());
    assertThat(after.withEncryption(before.encryption()).withSeal(before.seal())).isEqualTo(before);
    assertThat(restore(before, current())).isEqualTo(content(1));
  }

  @Test
  void rewrap_recordEditedBehindTheToolsBack_failsAndIsNotSealedAfresh() throws Exception {
    BackupRecord before = backup(current(), 1);
    ObjectKey key = Layout.record(before.kind(), before.id());
    String json = new String(store.open(key).readAllBytes(), StandardCharsets.UTF_8);
    String edited = json.replace("\"toolVersion\" : \"dev\"", "\"toolVersion\" : \"9.9\"");
    assertThat(edited).isNotEqualTo(json);
    store.replace(
        key,
        store.stat(key).orElseThrow(),
        new ByteArrayInputStream(edited.getBytes(StandardCharsets.UTF_8)));
    KeyEncryptionKeys.rotateKeysetFile(keyset);

    KeyRewrap.Report report =
        new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.FAILED)).isEqualTo(1);
    assertThat(report.items().get(0).problem())
        .contains("failed authentication")
        .contains("left as it was");
    assertThat(new String(store.open(key).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(edited);
  }

  @Test
  void notRewrapped_oldKeyRemoved_failsNamingTheMissingKey() throws Exception {
    KeyEncryptionKey old = current();
    BackupRecord before = backup(old, 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    assertThatThrownBy(() -> restore(before, KeyEncryptionKeys.open(onlyNew.toString())))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining("it was wrapped by key-encryption key '" + old.id() + "'");
  }

  @Test
  void rewrap_withoutTheOldKey_reportsItAndLeavesTheRecord() throws Exception {
    KeyEncryptionKey old = current();
    BackupRecord before = backup(old, 1);
    byte[] recordBefore = store.open(Layout.record(before.kind(), before.id())).readAllBytes();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    KeyRewrap.Report report =
        new KeyRewrap(
                store,
                KeyEncryptionKeys.open(onlyNew.toString()),
                List.of(),
                KeyRewrap.Listener.NONE)
            .run(false);

    assertThat(report.count(KeyRewrap.Status.FAILED)).isEqualTo(1);
    assertThat(report.items().get(0).problem())
        .contains("wrapped by key-encryption key '" + old.id() + "', which no key given opens");
    assertThat(store.open(Layout.record(before.kind(), before.id())).readAllBytes())
        .isEqualTo(recordBefore);
  }

  @Test
  void dryRun_listsWhatWouldChangeAndChangesNothing() throws Exception {
    BackupRecord before = backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    ObjectInfo info = store.stat(Layout.record(before.kind(), before.id())).orElseThrow();

    KeyRewrap.Report report =
        new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(true);

    assertThat(report.items())
        .extracting(KeyRewrap.Item::status)
        .containsExactly(KeyRewrap.Status.WOULD_REWRAP);
    assertThat(store.stat(info.key())).contains(info);
  }

  @Test
  void secondRun_findsEverythingCurrent() throws Exception {
    backup(current(), 1);
    backup(current(), 2);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    KeyRewrap.Report again =
        new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(again.items())
        .extracting(KeyRewrap.Item::status)
        .containsOnly(KeyRewrap.Status.CURRENT);
  }

  @Test
  void rewrappedKeysSwappedBetweenTwoBackups_caughtBeforeAnyDecryption() throws Exception {
    BackupRecord a = backup(current(), 1);
    BackupRecord b = backup(current(), 2);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);
    BackupRecord storedA = repo.catalog().find(a.id()).orElseThrow();
    BackupRecord storedB = repo.catalog().find(b.id()).orElseThrow();
    // the attacker can write records but has no key: give A the wrapped key of B
    overwrite(storedA, storedB.encryption());

    assertThatThrownBy(() -> restore(a, current()))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining("belongs to " + Layout.keyBinding(b.kind(), b.id()))
        .hasMessageContaining("tampered");
  }

  @Test
  void swappedKeyWithItsBindingEdited_stillRefusedByTheAssociatedData() throws Exception {
    BackupRecord a = backup(current(), 1);
    BackupRecord b = backup(current(), 2);
    WrappedDataKey ofB = repo.catalog().find(b.id()).orElseThrow().encryption();
    WrappedDataKey forged =
        new WrappedDataKey(
            ofB.kekId(),
            ofB.template(),
            ofB.ciphertext(),
            ofB.kekVersion(),
            Layout.keyBinding(a.kind(), a.id()));
    overwrite(repo.catalog().find(a.id()).orElseThrow(), forged);

    assertThatThrownBy(() -> restore(a, current()))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining("does not open it");
  }

  @Test
  void fromKeysetToKms_everyBackupMovesAndRestoresWithKmsAlone() throws Exception {
    KeyEncryptionKey file = current();
    BackupRecord before = backup(file, 1);
    KeyEncryptionKey kmsKey = kms.open(KMS_KEY);

    KeyRewrap.Report report =
        new KeyRewrap(store, kmsKey, List.of(file), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.REWRAPPED)).isEqualTo(1);
    WrappedDataKey moved = repo.catalog().find(before.id()).orElseThrow().encryption();
    assertThat(moved.kekId()).isEqualTo(KMS_KEY);
    assertThat(moved.kekVersion()).isNotNull().isEqualTo(kmsKey.primaryVersion());
    assertThat(restore(before, kms.open(KMS_KEY))).isEqualTo(content(1));
    Files.delete(keyset);
    assertThat(restore(before, kms.open(KMS_KEY))).isEqualTo(content(1));
  }

  @Test
  void fromOneKmsKeyToAnother_backupsOpenWithTheNewKeyAndNoLongerNeedTheOld() throws Exception {
    String otherKey = "gcp-kms://projects/p/locations/global/keyRings/backups/cryptoKeys/next";
    BackupRecord before = backup(kms.open(KMS_KEY), 1);
    KeyEncryptionKey next = kms.open(otherKey);
    assertThatThrownBy(() -> restore(before, next)).isInstanceOf(WrongKeyException.class);

    KeyRewrap.Report report =
        new KeyRewrap(store, next, List.of(kms.open(KMS_KEY)), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.REWRAPPED)).isEqualTo(1);
    assertThat(repo.catalog().find(before.id()).orElseThrow().encryption().kekId())
        .isEqualTo(otherKey);
    assertThat(restore(before, kms.open(otherKey))).isEqualTo(content(1));
    assertThatThrownBy(() -> restore(before, kms.open(KMS_KEY)))
        .isInstanceOf(WrongKeyException.class);
  }

  @Test
  void kmsRotatedVersion_oldVersionBackupsRewrappedToThePrimary() throws Exception {
    BackupRecord v1 = backup(kms.open(KMS_KEY), 1);
    String first = repo.catalog().find(v1.id()).orElseThrow().encryption().kekVersion();
    kms.rotate();
    String second = String.valueOf(Integer.parseInt(first) + 1);
    BackupRecord v2 = backup(kms.open(KMS_KEY), 2);
    assertThat(repo.catalog().find(v2.id()).orElseThrow().encryption().kekVersion())
        .isEqualTo(second);
    KeyEncryptionKey kmsKey = kms.open(KMS_KEY);
    assertThat(kmsKey.isCurrent(repo.catalog().find(v1.id()).orElseThrow().encryption())).isFalse();

    KeyRewrap.Report report =
        new KeyRewrap(store, kmsKey, List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.REWRAPPED)).isEqualTo(1);
    assertThat(report.count(KeyRewrap.Status.CURRENT)).isEqualTo(1);
    assertThat(repo.catalog().find(v1.id()).orElseThrow().encryption().kekVersion())
        .isEqualTo(second);
    assertThat(restore(v1, kms.open(KMS_KEY))).isEqualTo(content(1));
  }

  @Test
  void kmsUnreachable_runStopsAndRecordsStayAsTheyWere() throws Exception {
    BackupRecord before = backup(current(), 1);
    byte[] recordBefore = store.open(Layout.record(before.kind(), before.id())).readAllBytes();
    KeyEncryptionKey kmsKey = kms.open(KMS_KEY);
    kms.failWith(503);

    assertThatThrownBy(
            () ->
                new KeyRewrap(store, kmsKey, List.of(current()), KeyRewrap.Listener.NONE)
                    .run(false))
        .hasMessageContaining(KMS_KEY)
        .hasMessageContaining("503");
    assertThat(store.open(Layout.record(before.kind(), before.id())).readAllBytes())
        .isEqualTo(recordBefore);
  }

  @Test
  void formatOneRecordWithoutBindingOrVersion_readsAndRewraps() throws Exception {
    KeyEncryptionKey old = current();
    BackupRecord written = backup(old, 1);
    // what an earlier version wrote: an unbound wrapping without the new fields, no seal, and a
    // repository without the seal marker
    DataKey key =
        DataKey.unwrap(written.encryption(), old, Layout.keyBinding(written.kind(), written.id()));
    WrappedDataKey unbound = key.wrap(old);
    overwrite(written, unbound);
    store.delete(Layout.sealMarker());
    String json =
        new String(store.open(Layout.record(written.kind(), written.id())).readAllBytes());
    assertThat(json).doesNotContain("boundTo").doesNotContain("kekVersion");
    assertThat(restore(written, old)).isEqualTo(content(1));
    KeyEncryptionKeys.rotateKeysetFile(keyset);

    new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);
    assertThat(restore(written, KeyEncryptionKeys.open(onlyNew.toString()))).isEqualTo(content(1));
  }

  @Test
  void storeWithoutAtomicReplace_refusesToRewrapButDryRunLists() throws Exception {
    backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    // create-only, as every store's core contract: no way to swap a record in one step
    BlobStore createOnly = new FaultInjectingBlobStore(store);

    assertThatThrownBy(
            () ->
                new KeyRewrap(createOnly, current(), List.of(), KeyRewrap.Listener.NONE).run(false))
        .hasMessageContaining("cannot replace an object in one step");
    assertThat(
            new KeyRewrap(createOnly, current(), List.of(), KeyRewrap.Listener.NONE)
                .run(true)
                .count(KeyRewrap.Status.WOULD_REWRAP))
        .isEqualTo(1);
  }

  @Test
  void replaceFails_objectReportedAndLeftAsItWas_nextRunFinishes() throws Exception {
    BackupRecord before = backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    ObjectKey record = Layout.record(before.kind(), before.id());
    byte[] original = store.open(record).readAllBytes();
    BlobStore refusing = new RefusingReplace(store);

    KeyRewrap.Report report =
        new KeyRewrap(refusing, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.FAILED)).isEqualTo(1);
    assertThat(report.items().get(0).problem())
        .contains("unable to replace object '" + record + "'")
        .contains("disk full");
    assertThat(store.open(record).readAllBytes()).isEqualTo(original);
    assertThat(
            new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE)
                .run(false)
                .count(KeyRewrap.Status.REWRAPPED))
        .isEqualTo(1);
  }

  @Test
  void replaceKeptShortByTheStore_originalPutBackAndReported_nextRunFinishes() throws Exception {
    BackupRecord before = backup(current(), 1);
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    ObjectKey record = Layout.record(before.kind(), before.id());
    byte[] original = store.open(record).readAllBytes();
    ReplacingFaultInjectingBlobStore shortOnce = new ReplacingFaultInjectingBlobStore(store);
    AtomicBoolean first = new AtomicBoolean(true);
    // the store keeps the first 200 bytes of the first replacement and reports success
    shortOnce.truncateUploads(name -> first.getAndSet(false), 200);

    KeyRewrap.Report report =
        new KeyRewrap(shortOnce, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.FAILED)).isEqualTo(1);
    assertThat(report.items().get(0).problem())
        .contains("kept 200 of")
        .contains("the original was put back");
    assertThat(store.open(record).readAllBytes()).isEqualTo(original);
    assertThat(
            new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE)
                .run(false)
                .count(KeyRewrap.Status.REWRAPPED))
        .isEqualTo(1);
    assertThat(restore(before, current())).isEqualTo(content(1));
  }

  /** A store whose replace always fails, as a full disk or a refused upload would. */
  private static final class RefusingReplace extends FaultInjectingBlobStore
      implements AtomicReplace {
    private final LocalBlobStore inner;

    RefusingReplace(LocalBlobStore inner) {
      super(inner);
      this.inner = inner;
    }

    @Override
    public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
        throws IOException {
      content.readNBytes(10);
      throw new IOException(StorageMessages.failed("replace", key, inner.describe(), "disk full"));
    }
  }

  private List<byte[]> dataObjects() throws Exception {
    List<byte[]> all = new ArrayList<>();
    for (ObjectInfo info : store.list(Layout.DATA)) {
      try (InputStream in = store.open(info.key())) {
        all.add(in.readAllBytes());
      }
    }
    return all;
  }

  /** Rewrites a record behind the tool's back, as someone with write access to the bucket could. */
  private void overwrite(BackupRecord record, WrappedDataKey encryption) throws Exception {
    BackupRecord changed =
        new BackupRecord(
            record.format(),
            record.id(),
            record.kind(),
            record.source(),
            record.toolVersion(),
            record.startedAt(),
            record.finishedAt(),
            record.status(),
            record.parts(),
            encryption,
            record.facts());
    ObjectKey key = Layout.record(record.kind(), record.id());
    store.replace(
        key, store.stat(key).orElseThrow(), new ByteArrayInputStream(RecordJson.write(changed)));
  }
}
