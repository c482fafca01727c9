package io.aido.backup.core.verification;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one verification of one backup, stored append-only as JSON at {@code
 * verify/<kind>/<backup-id>/<time>.json} beside (never inside) the backup record. A later result
 * supersedes an earlier one: a backup counts as verified while its newest result says {@code ok}.
 *
 * <p>JSON ({@link VerificationResults#toJson}):
 *
 * <pre>{@code
 * {"format":1,"backupId":"20261124T020000Z-a1b2c3","kind":"db-logical",
 *  "checkedAt":"2026-11-24T03:00:00.123Z","level":"integrity","ok":true,
 *  "bytesChecked":1048576,"durationMillis":2150,"problems":[]}
 * }</pre>
 *
 * <p>A {@value #RESTORE_TEST} result also carries {@code "restoreMillis"}: how long the restore
 * itself took, the measured recovery time of that backup.
 *
 * @param backupId the backup that was checked
 * @param kind its kind
 * @param checkedAt when the check ended
 * @param level what was checked: {@value #INTEGRITY} or {@value #RESTORE_TEST}
 * @param ok whether the backup passed
 * @param bytesChecked stored bytes read and checked
 * @param durationMillis how long the check took
 * @param problems one line per problem found, empty when {@code ok}
 * @param restoreMillis how long the restore took, for a restore test that got as far as restoring;
 *     {@code null} otherwise
 */
public record VerificationResult(
    BackupId backupId,
    BackupKind kind,
    Instant checkedAt,
    String level,
    boolean ok,
    long bytesChecked,
    long durationMillis,
    List<String> problems,
    Long restoreMillis) {

  /** The result format this version writes. */
  public static final int FORMAT = 1;

  /** Every part read in full: exists with its size, decrypts, decompresses, size and SHA-256. */
  public static final String INTEGRITY = "integrity";

  /**
   * Restored into a scratch database, every table's row count compared with the record, analyzed
   * and sampled.
   */
  public static final String RESTORE_TEST = "restore-test";

  public VerificationResult {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(checkedAt, "checkedAt");
    Objects.requireNonNull(level, "level");
    problems = problems == null ? List.of() : List.copyOf(problems);
  }

  /** A result without a restore. */
  public VerificationResult(
      BackupId backupId,
      BackupKind kind,
      Instant checkedAt,
      String level,
      boolean ok,
      long bytesChecked,
      long durationMillis,
      List<String> problems) {
    this(backupId, kind, checkedAt, level, ok, bytesChecked, durationMillis, problems, null);
  }
}
