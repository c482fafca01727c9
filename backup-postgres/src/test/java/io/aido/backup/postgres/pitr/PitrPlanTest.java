package io.aido.backup.postgres.pitr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalSegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The restore-pitr plan without a server: base choice, WAL chain checks, recovery settings. */
class PitrPlanTest {
  private static final long SIZE = WalSegment.DEFAULT_SIZE;
  private static final String OLD = "20261124T020000Z-aaaaaa";
  private static final String NEW = "20261125T020000Z-bbbbbb";

  /** A base backup whose WAL runs from segment {@code segno} offset 0x28 to offset 0x100. */
  private static BackupRecord base(String id, long segno) {
    return base(id, segno, facts(segno).toFacts());
  }

  private static BaseBackupFacts facts(long segno) {
    Lsn start = new WalSegment(1, segno, SIZE).start().plus(0x28);
    return new BaseBackupFacts(
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
        "pg_basebackup (PostgreSQL) 15.4");
  }

  private static BackupRecord base(String id, long segno, Map<String, Object> facts) {
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

  /** An archive of the given objects, each stored at {@code storedAt}. */
  private static PitrPlan.Archive archive(Instant storedAt, ArchivedWal... wal) {
    return new PitrPlan.Archive() {
      @Override
      public List<ArchivedWal> list(long segmentSize) {
        assertThat(segmentSize).isEqualTo(SIZE);
        return List.of(wal);
      }

      @Override
      public Instant archivedAt(ArchivedWal w) {
        return storedAt;
      }
    };
  }

  private static List<ArchivedWal> segments(long from, long to) {
    List<ArchivedWal> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(whole(s));
    }
    return out;
  }

  private final List<BackupRecord> bases = List.of(base(OLD, 2), base(NEW, 5));

  @Test
  void latest_newestBase_walFromItsStopToTheArchiveEnd() throws Exception {
    PitrPlan plan =
        PitrPlan.make(
            PitrPlan.Target.latest(),
            null,
            bases,
            archive(Instant.EPOCH, segments(2, 7).toArray(ArchivedWal[]::new)));

    assertThat(plan.base().id().value()).isEqualTo(NEW);
    assertThat(plan.wal()).containsExactlyElementsOf(segments(5, 7));
    assertThat(plan.walEnd()).isEqualTo(new WalSegment(1, 8, SIZE).start());
  }

  @Test
  void targetLsn_baseThatStoppedBeforeIt_walUpToTheSegmentHoldingIt() throws Exception {
    Lsn target = new WalSegment(1, 4, SIZE).start().plus(10);

    PitrPlan plan =
        PitrPlan.make(
            PitrPlan.Target.lsn(target),
            null,
            bases,
            archive(Instant.EPOCH, segments(2, 7).toArray(ArchivedWal[]::new)));

    assertThat(plan.base().id().value()).isEqualTo(OLD);
    assertThat(plan.wal()).containsExactlyElementsOf(segments(2, 4));
  }

  @Test
  void targetTime_newestBaseFinishedBeforeIt_archiveStoredAfterIt() throws Exception {
    Instant target = new BackupId(NEW).time().plusSeconds(3600);

    PitrPlan plan =
        PitrPlan.make(
            PitrPlan.Target.time(target),
            null,
            bases,
            archive(target.plusSeconds(1), segments(5, 6).toArray(ArchivedWal[]::new)));

    assertThat(plan.base().id().value()).isEqualTo(NEW);
    assertThat(plan.wal()).containsExactlyElementsOf(segments(5, 6));
  }

  @Test
  void backupId_chosenEvenIfNewerOnesExist() throws Exception {
    PitrPlan plan =
        PitrPlan.make(
            PitrPlan.Target.latest(),
            OLD,
            bases,
            archive(Instant.EPOCH, segments(2, 3).toArray(ArchivedWal[]::new)));

    assertThat(plan.base().id().value()).isEqualTo(OLD);
    assertThat(plan.wal()).containsExactlyElementsOf(segments(2, 3));
  }

  @Test
  void backupId_missing_usageError() {
    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.latest(),
                    "20261126T020000Z-cccccc",
                    bases,
                    archive(Instant.EPOCH)))
        .isInstanceOf(JobException.class)
        .hasMessage(
            "unable to restore missing base backup 20261126T020000Z-cccccc: no such db-base")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void noBaseBeforeTheTarget_usageErrorNamingTheOldest() {
    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.time(new BackupId(OLD).time().minusSeconds(1)),
                    null,
                    bases,
                    archive(Instant.EPOCH)))
        .hasMessageEndingWith("the oldest base backup, " + OLD + ", ended after it");
    assertThatThrownBy(
            () -> PitrPlan.make(PitrPlan.Target.latest(), null, List.of(), archive(Instant.EPOCH)))
        .hasMessageEndingWith("the repository holds no db-base backup (run base-backup)");
  }

  @Test
  void gapBeforeTheArchiveEnd_failsNamingTheGap() {
    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.latest(),
                    null,
                    bases,
                    archive(Instant.EPOCH, whole(5), whole(7))))
        .isInstanceOf(JobException.class)
        .hasMessageContaining(
            "point-in-time recovery is impossible between "
                + new WalSegment(1, 6, SIZE).start()
                + " and "
                + new WalSegment(1, 7, SIZE).start())
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.FAILED);
  }

  @Test
  void targetLsnBeyondTheArchive_failsSayingRunWalArchive() {
    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.lsn(new WalSegment(1, 9, SIZE).start()),
                    null,
                    bases,
                    archive(Instant.EPOCH, whole(5))))
        .hasMessageContaining("the archived WAL reaches only " + new WalSegment(1, 6, SIZE).start())
        .hasMessageContaining("(run wal-archive first)");
  }

  @Test
  void targetTime_archiveStoredBeforeIt_failsAsMayNotReachIt() {
    Instant target = new BackupId(NEW).time().plusSeconds(3600);
    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.time(target),
                    null,
                    bases,
                    archive(target.minusSeconds(1), whole(5))))
        .hasMessageContaining("before the target, so the archive may not reach it");
    assertThatThrownBy(
            () -> PitrPlan.make(PitrPlan.Target.time(target), null, bases, archive(Instant.EPOCH)))
        .hasMessageContaining("no WAL after the base backup is archived (run wal-archive first)");
  }

  @Test
  void baseWithoutReadableFacts_failsNamingTheFact() {
    Map<String, Object> broken = new LinkedHashMap<>(facts(2).toFacts());
    broken.remove("stopLsn");

    assertThatThrownBy(
            () ->
                PitrPlan.make(
                    PitrPlan.Target.latest(),
                    null,
                    List.of(base(OLD, 2, broken)),
                    archive(Instant.EPOCH)))
        .hasMessage(
            "base backup "
                + OLD
                + " has no readable WAL range in its record: backup "
                + OLD
                + " (db-base): fact 'stopLsn' is missing");
  }

  @Test
  void recoverySettings_targetTimeInPostgresFormat_walDirQuoted() throws Exception {
    Instant target = Instant.parse("2026-11-25T03:04:05.123456789Z");
    PitrPlan plan =
        PitrPlan.make(
            PitrPlan.Target.time(target), null, bases, archive(target.plusSeconds(1), whole(5)));

    assertThat(plan.recoverySettings(Path.of("/restore/it's wal"), "pause"))
        .isEqualTo(
            "\n# point-in-time recovery, written by restore-pitr\n"
                + "restore_command = 'cp \"/restore/it''s wal/%f\" \"%p\"'\n"
                + "recovery_target_time = '2026-11-25 03:04:05.123456+00'\n"
                + "recovery_target_timeline = '1'\n"
                + "recovery_target_action = 'pause'\n");
  }

  @Test
  void recoverySettings_lsnAndLatest() throws Exception {
    Lsn lsn = new WalSegment(1, 5, SIZE).start().plus(0x200);
    PitrPlan byLsn =
        PitrPlan.make(PitrPlan.Target.lsn(lsn), null, bases, archive(Instant.EPOCH, whole(5)));
    PitrPlan latest =
        PitrPlan.make(PitrPlan.Target.latest(), null, bases, archive(Instant.EPOCH, whole(5)));

    assertThat(byLsn.recoverySettings(Path.of("/w"), "promote"))
        .contains("recovery_target_lsn = '" + lsn + "'\n");
    assertThat(latest.recoverySettings(Path.of("/w"), "promote"))
        .doesNotContain("recovery_target_lsn =")
        .doesNotContain("recovery_target_time =")
        .contains("recovery_target_action = 'promote'\n");
  }
}
