package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.verification.VerificationResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The plan and the freshness judgement of a verify run, without a store. */
class VerifyPlanTest {
  private static final BackupRecord OLD = record(BackupKind.DB_LOGICAL, "20261101T020000Z-aaaaaa");
  private static final BackupRecord NEW = record(BackupKind.DB_LOGICAL, "20261102T020000Z-bbbbbb");
  private static final BackupRecord DAPR = record(BackupKind.DAPR, "20261102T030000Z-cccccc");

  @Test
  void plan_verifiedBefore_isSkippedAndFailedOrNewAreChecked() {
    Map<BackupKind, Map<BackupId, VerificationResult>> newest =
        Map.of(
            BackupKind.DB_LOGICAL,
            Map.of(OLD.id(), result(OLD, true), NEW.id(), result(NEW, false)));

    VerifyPlan plan = VerifyPlan.of(List.of(OLD, NEW, DAPR), newest, false, Set.of());

    assertThat(plan.check()).containsExactly(NEW, DAPR);
    assertThat(plan.skipped()).isEqualTo(1);
    assertThat(plan.kinds()).containsExactly(BackupKind.DB_LOGICAL, BackupKind.DAPR);
  }

  @Test
  void plan_all_checksEveryBackupAndAddsRequiredKindsInKindOrder() {
    Map<BackupKind, Map<BackupId, VerificationResult>> newest =
        Map.of(BackupKind.DAPR, Map.of(DAPR.id(), result(DAPR, true)));

    VerifyPlan plan =
        VerifyPlan.of(
            List.of(DAPR), newest, true, Set.of(BackupKind.MANIFESTS, BackupKind.DB_LOGICAL));

    assertThat(plan.check()).containsExactly(DAPR);
    assertThat(plan.skipped()).isZero();
    assertThat(plan.kinds())
        .containsExactly(BackupKind.DB_LOGICAL, BackupKind.DAPR, BackupKind.MANIFESTS);
  }

  @Test
  void freshness_newestVerifiedWithinLimit_isFresh() {
    Freshness f =
        Freshness.judge(
            BackupKind.DB_LOGICAL,
            List.of(OLD, NEW),
            Map.of(OLD.id(), result(OLD, true), NEW.id(), result(NEW, true)),
            Duration.ofHours(26),
            NEW.startedAt().plus(Duration.ofHours(25)));

    assertThat(f.stale()).isFalse();
    assertThat(f.fresh()).isEqualTo(NEW);
    assertThat(f.lastVerified()).isEqualTo(NEW.finishedAt());
  }

  @Test
  void freshness_newestFailedAndOlderTooOld_isStaleNamingTheOlder() {
    Freshness f =
        Freshness.judge(
            BackupKind.DB_LOGICAL,
            List.of(OLD, NEW),
            Map.of(OLD.id(), result(OLD, true), NEW.id(), result(NEW, false)),
            Duration.ofHours(26),
            OLD.startedAt().plus(Duration.ofHours(30)));

    assertThat(f.fresh()).isEqualTo(OLD);
    assertThat(f.problem())
        .isEqualTo(
            "kind db-logical: newest verified backup "
                + OLD.id()
                + " started 30h ago, older than the limit of 26h");
  }

  @Test
  void freshness_noVerifiedBackup_isStale() {
    Freshness f =
        Freshness.judge(
            BackupKind.MANIFESTS, List.of(OLD), Map.of(), Duration.ofHours(26), Instant.EPOCH);

    assertThat(f.fresh()).isNull();
    assertThat(f.lastVerified()).isNull();
    assertThat(f.problem())
        .isEqualTo("kind manifests: no complete and verified backup (limit 26h)");
  }

  private static VerificationResult result(BackupRecord r, boolean ok) {
    return new VerificationResult(
        r.id(),
        r.kind(),
        r.finishedAt(),
        VerificationResult.INTEGRITY,
        ok,
        1,
        1,
        ok ? List.of() : List.of("bad"));
  }

  private static BackupRecord record(BackupKind kind, String id) {
    BackupId backupId = new BackupId(id);
    return new BackupRecord(
        BackupRecord.FORMAT,
        backupId,
        kind,
        new Source("prod", "todo", "todo", "15.4", Map.of()),
        "1.2.3",
        backupId.time(),
        backupId.time().plusSeconds(60),
        BackupRecord.COMPLETE,
        List.of(),
        new WrappedDataKey("tink-keyset:1", "AES256_GCM_HKDF_1MB", "AAAA"),
        Map.of());
  }
}
