package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.verification.VerificationResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The freshness level for one kind, a pure judgement: the newest backup of the kind that is
 * complete and whose newest result is ok (this run's included) must have started less than the
 * kind's limit before {@code now}.
 *
 * @param kind the kind judged
 * @param fresh the newest complete and verified backup, or {@code null} when there is none
 * @param lastVerified when a backup of the kind last passed verification, or {@code null}
 * @param problem the line to print when the kind is stale, else {@code null}
 */
record Freshness(BackupKind kind, BackupRecord fresh, Instant lastVerified, String problem) {

  /**
   * Judges {@code kind}.
   *
   * @param records the complete backups, in catalog order (oldest first)
   * @param results the newest result of each backup of {@code kind}
   */
  static Freshness judge(
      BackupKind kind,
      List<BackupRecord> records,
      Map<BackupId, VerificationResult> results,
      Duration limit,
      Instant now) {
    BackupRecord fresh = null;
    for (BackupRecord r : records) {
      VerificationResult v = results.get(r.id());
      if (r.kind() == kind && v != null && v.ok()) {
        fresh = r;
      }
    }
    Optional<Instant> lastVerified =
        results.values().stream()
            .filter(VerificationResult::ok)
            .map(VerificationResult::checkedAt)
            .max(Instant::compareTo);
    return new Freshness(kind, fresh, lastVerified.orElse(null), problem(kind, fresh, limit, now));
  }

  boolean stale() {
    return problem != null;
  }

  private static String problem(BackupKind kind, BackupRecord fresh, Duration limit, Instant now) {
    if (fresh == null) {
      return "kind "
          + kind
          + ": no complete and verified backup (limit "
          + MaxAges.format(limit)
          + ")";
    }
    Duration age = Duration.between(fresh.startedAt(), now);
    if (age.compareTo(limit) <= 0) {
      return null;
    }
    return "kind "
        + kind
        + ": newest verified backup "
        + fresh.id()
        + " started "
        + MaxAges.format(age)
        + " ago, older than the limit of "
        + MaxAges.format(limit);
  }
}
