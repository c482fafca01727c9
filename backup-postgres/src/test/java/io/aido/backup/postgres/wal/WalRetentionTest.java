package io.aido.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** WAL expiry and the WAL check of verification, from object names and base backup records. */
class WalRetentionTest {
  private static final long SIZE = WalSegment.DEFAULT_SIZE;

  static BackupRecord base(String id, String startLsn) {
    Lsn start = Lsn.parse(startLsn);
    return base(
        id,
        new BaseBackupFacts(
                "base.tar",
                start,
                start.plus(0xd8),
                1,
                WalSegment.containing(1, start, SIZE).name(),
                SIZE,
                "7303000000000000001",
                null,
                null,
                "15.4",
                "pg_basebackup (PostgreSQL) 15.4")
            .toFacts());
  }

  static BackupRecord base(String id, Map<String, Object> facts) {
    BackupId backupId = new BackupId(id);
    return new BackupRecord(
        BackupRecord.FORMAT,
        backupId,
        BackupKind.DB_BASE,
        new Source(null, null, null, "15.4", Map.of()),
        "dev",
        backupId.time(),
        backupId.time().plusSeconds(10),
        BackupRecord.COMPLETE,
        List.of(
            new PartRecord(
                "base.tar", "data/db-base/" + id + "/base.tar", 1, 1, "ab".repeat(32), "zstd")),
        new WrappedDataKey("tink-keyset:1", "AES256_GCM_HKDF_1MB", "AAAA"),
        facts);
  }

  private static ArchivedWal whole(long segno) {
    return ArchivedWal.whole(new WalSegment(1, segno, SIZE));
  }

  private static MemoryBlobStore storeWith(List<ArchivedWal> wal) throws IOException {
    MemoryBlobStore store = new MemoryBlobStore();
    for (ArchivedWal w : wal) {
      store.create(w.key(), new ByteArrayInputStream(new byte[] {1, 2, 3}));
    }
    return store;
  }

  @Test
  void plan_oldestKeptBase_removesWalBeforeItsStartOnly() {
    List<ArchivedWal> wal = List.of(whole(1), whole(2), whole(3), whole(4), whole(5));
    WalRetention.Plan plan =
        WalRetention.plan(
            List.of(
                base("20261124T020000Z-aaaaaa", "0/5000028"),
                base("20261123T020000Z-bbbbbb", "0/3000028")),
            wal);
    assertThat(plan.oldestNeeded()).contains(Lsn.parse("0/3000028"));
    assertThat(plan.remove()).containsExactly(whole(1), whole(2));
    assertThat(plan.reason()).contains("0/3000028");
  }

  @Test
  void plan_noBaseBackupKept_keepsEveryWholeSegment() {
    ArchivedWal shorter = ArchivedWal.partial(new WalSegment(1, 3, SIZE), 10);
    ArchivedWal longer = ArchivedWal.partial(new WalSegment(1, 3, SIZE), 20);
    WalRetention.Plan plan =
        WalRetention.plan(List.of(), List.of(whole(1), whole(2), shorter, longer));
    assertThat(plan.oldestNeeded()).isEmpty();
    assertThat(plan.remove()).containsExactly(shorter);
  }

  @Test
  void apply_deletesPlanned_dryRunDeletesNothing() throws Exception {
    List<ArchivedWal> wal = List.of(whole(1), whole(2), whole(3));
    MemoryBlobStore store = storeWith(wal);
    WalRetention.Plan plan =
        WalRetention.plan(List.of(base("20261124T020000Z-aaaaaa", "0/3000000")), wal);
    WalRetention.Result dry = WalRetention.apply(store, plan, true);
    assertThat(dry.removed()).isEqualTo(2);
    assertThat(WalArchive.list(store, SIZE)).hasSize(3);
    WalRetention.Result done = WalRetention.apply(store, plan, false);
    assertThat(done.removed()).isEqualTo(2);
    assertThat(done.bytes()).isEqualTo(6);
    assertThat(WalArchive.list(store, SIZE)).containsExactly(whole(3));
  }

  @Test
  void apply_storeRefuses_reportedAndOthersStillRemoved() throws Exception {
    List<ArchivedWal> wal = List.of(whole(1), whole(2), whole(3));
    MemoryBlobStore inner = storeWith(wal);
    List<ObjectKey> deleted = new ArrayList<>();
    BlobStore refusing =
        new BlobStore() {
          @Override
          public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
            return inner.create(key, content);
          }

          @Override
          public void delete(ObjectKey key) throws IOException {
            if (key.equals(whole(1).key())) {
              throw new DeletionRefusedException(key, "memory://test", "retention policy");
            }
            deleted.add(key);
            inner.delete(key);
          }

          @Override
          public InputStream open(ObjectKey key, long offset, long length) throws IOException {
            return inner.open(key, offset, length);
          }

          @Override
          public Optional<ObjectInfo> stat(ObjectKey key) {
            return inner.stat(key);
          }

          @Override
          public List<ObjectInfo> list(String prefix) {
            return inner.list(prefix);
          }

          @Override
          public String describe() {
            return "memory://test";
          }
        };
    WalRetention.Plan plan =
        WalRetention.plan(List.of(base("20261124T020000Z-aaaaaa", "0/3000000")), wal);
    WalRetention.Result result = WalRetention.apply(refusing, plan, false);
    assertThat(result.removed()).isEqualTo(1);
    assertThat(result.refused()).hasSize(1);
    assertThat(deleted).containsExactly(whole(2).key());
  }

  @Test
  void verification_gapAfterOldestBase_isAProblem_gapBeforeIsNot() throws Exception {
    MemoryBlobStore store = storeWith(List.of(whole(1), whole(3), whole(4), whole(6)));
    List<String> problems =
        WalVerification.problems(store, List.of(base("20261124T020000Z-aaaaaa", "0/3000028")));
    assertThat(problems)
        .containsExactly(
            "wal: "
                + new WalChain.Gap(1, Lsn.parse("0/5000000"), Lsn.parse("0/6000000")).describe());
    assertThat(problems.get(0))
        .contains("point-in-time recovery is impossible between 0/5000000 and 0/6000000");
  }

  @Test
  void verification_unbrokenChain_noProblem() throws Exception {
    MemoryBlobStore store = storeWith(List.of(whole(3), whole(4), whole(5)));
    assertThat(
            WalVerification.problems(store, List.of(base("20261124T020000Z-aaaaaa", "0/3000028"))))
        .isEmpty();
  }

  @Test
  void plan_keptBaseWithoutReadableStart_keepsAllWalNamingTheBackup() throws Exception {
    MemoryBlobStore store = storeWith(List.of(whole(1), whole(2), whole(3)));
    BackupRecord good = base("20261124T020000Z-aaaaaa", "0/3000028");
    Map<String, Object> broken = new java.util.LinkedHashMap<>(good.facts());
    broken.put("startLsn", "not-a-position");

    WalRetention.Plan plan =
        WalRetention.plan(store, List.of(good, base("20261123T020000Z-bbbbbb", broken)));

    assertThat(plan.remove()).isEmpty();
    assertThat(plan.reason())
        .contains("backup 20261123T020000Z-bbbbbb (db-base): fact 'startLsn'")
        .contains("archived WAL is kept");
  }

  @Test
  void verification_baseWithoutStart_isAProblemNamingTheBackup() throws Exception {
    MemoryBlobStore store = storeWith(List.of(whole(1), whole(2)));
    Map<String, Object> broken =
        new java.util.LinkedHashMap<>(base("20261124T020000Z-aaaaaa", "0/1000028").facts());
    broken.remove("startLsn");

    assertThat(WalVerification.problems(store, List.of(base("20261124T020000Z-aaaaaa", broken))))
        .containsExactly(
            "wal: backup 20261124T020000Z-aaaaaa (db-base): fact 'startLsn' is missing");
  }
}
