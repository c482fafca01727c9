package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.verification.VerificationResult;
import java.util.List;
import java.util.Map;

/**
 * The per-backup and restore-test metrics of a verify run, for the Pushgateway. Per backup checked
 * in the run (labels {@code kind}, {@code backup_id} and, where it differs by level, {@code
 * level}): {@code backup_verify_backup_ok}, {@code backup_verify_backup_checked_bytes}, {@code
 * backup_verify_backup_last_verified_timestamp_seconds}, {@code
 * backup_verify_restore_duration_seconds} (also labelled {@code database}). Per kind: {@code
 * backup_verify_last_restore_test_duration_seconds}, {@code
 * backup_verify_last_restore_test_timestamp_seconds}, {@code backup_verify_restore_tests}, {@code
 * backup_verify_restore_failures}, and the per-kind integrity and freshness gauges.
 */
final class VerifyMetrics {
  private VerifyMetrics() {}

  /** Whether {@code r}'s backup passed its level, what was read, and when it last passed. */
  static void backup(RunMetrics m, VerificationResult r) {
    Map<String, String> labels =
        Map.of("kind", r.kind().id(), "backup_id", r.backupId().value(), "level", r.level());
    m.gauge(
        "backup_verify_backup_ok",
        "1 when this backup passed this level of verification in this run, else 0.",
        r.ok() ? 1 : 0,
        labels);
    m.gauge(
        "backup_verify_backup_checked_bytes",
        "Stored bytes of this backup read and checked by this level in this run.",
        r.bytesChecked(),
        labels);
    if (r.ok()) {
      m.gauge(
          "backup_verify_backup_last_verified_timestamp_seconds",
          "When this backup last passed verification.",
          seconds(r),
          Map.of("kind", r.kind().id(), "backup_id", r.backupId().value()));
    }
  }

  /** A restore test's duration (the recovery time) and outcome. */
  static void restore(RunMetrics m, VerificationResult r, String database) {
    Map<String, String> kind = Map.of("kind", r.kind().id());
    if (r.restoreMillis() != null) {
      double duration = r.restoreMillis() / 1000.0;
      m.gauge(
          "backup_verify_restore_duration_seconds",
          "How long restoring this backup into a scratch database took (recovery time).",
          duration,
          Map.of("kind", r.kind().id(), "backup_id", r.backupId().value(), "database", database));
      m.gauge(
          "backup_verify_last_restore_test_duration_seconds",
          "How long the last restore test of this kind took to restore (recovery time).",
          duration,
          kind);
    }
    if (r.ok()) {
      m.gauge(
          "backup_verify_last_restore_test_timestamp_seconds",
          "When a backup of this kind last passed a restore test.",
          seconds(r),
          kind);
    }
  }

  /** How many backups of {@code kind} were test-restored in the run, and how many failed. */
  static void restoreTests(RunMetrics m, String kind, int tested, int failed) {
    m.gauge(
        "backup_verify_restore_tests",
        "Backups of this kind test-restored by this run.",
        tested,
        Map.of("kind", kind));
    m.gauge(
        "backup_verify_restore_failures",
        "Backups of this kind whose restore test failed in this run.",
        failed,
        Map.of("kind", kind));
  }

  /**
   * The freshness gauges of {@code f}'s kind: when a backup of it last passed, the start of the
   * newest verified one, and, when freshness was {@code judged}, whether it is stale.
   */
  static void freshness(RunMetrics m, Freshness f, boolean judged) {
    Map<String, String> kind = Map.of("kind", f.kind().id());
    if (f.lastVerified() != null) {
      m.gauge(
          "backup_verify_last_verified_timestamp_seconds",
          "When a backup of this kind last passed verification.",
          f.lastVerified().toEpochMilli() / 1000.0,
          kind);
    }
    if (f.fresh() != null) {
      m.gauge(
          "backup_verify_newest_verified_backup_timestamp_seconds",
          "Start of the newest backup of this kind that passed verification.",
          f.fresh().startedAt().toEpochMilli() / 1000.0,
          kind);
    }
    if (judged) {
      m.gauge(
          "backup_verify_stale",
          "1 when the newest verified backup of this kind is older than its limit.",
          f.stale() ? 1 : 0,
          kind);
    }
  }

  /** The bytes this run checked and the backups it found bad, for each of {@code kinds}. */
  static void kinds(RunMetrics m, List<BackupKind> kinds, Tally tally) {
    for (BackupKind k : kinds) {
      m.gauge(
          "backup_verify_checked_bytes",
          "Stored bytes read and checked by this run.",
          tally.bytes(k),
          Map.of("kind", k.id()));
      m.gauge(
          "backup_verify_failures",
          "Backups of this kind found bad by this run.",
          tally.failures(k),
          Map.of("kind", k.id()));
    }
  }

  private static double seconds(VerificationResult r) {
    return r.checkedAt().toEpochMilli() / 1000.0;
  }
}
