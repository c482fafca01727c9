package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.verification.VerificationResult;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a verify run does, decided before it reads any backup: which backups get the integrity
 * level, how many are skipped as verified before, and which kinds are judged for freshness. A pure
 * function of the catalog listing, the newest results and the options.
 *
 * <p>A backup whose newest result is ok is skipped unless {@code all}; a failed or never checked
 * one is checked. The kinds are those that have backups plus the required ones, in kind order.
 *
 * @param check the backups to check, in catalog order
 * @param skipped how many backups were left out as verified before
 * @param kinds the kinds whose freshness and per-kind metrics the run reports, in kind order
 */
record VerifyPlan(List<BackupRecord> check, int skipped, List<BackupKind> kinds) {

  VerifyPlan {
    check = List.copyOf(check);
    kinds = List.copyOf(kinds);
  }

  /**
   * Plans a run.
   *
   * @param records the complete backups the catalog lists, in its order
   * @param newest the newest verification result of each backup, by kind; a kind may be missing
   * @param all whether backups verified before are checked again
   * @param required kinds that must be judged even when they have no backup
   */
  static VerifyPlan of(
      List<BackupRecord> records,
      Map<BackupKind, Map<BackupId, VerificationResult>> newest,
      boolean all,
      Set<BackupKind> required) {
    List<BackupRecord> check = new ArrayList<>();
    int skipped = 0;
    Set<BackupKind> kinds = EnumSet.noneOf(BackupKind.class);
    for (BackupRecord record : records) {
      kinds.add(record.kind());
      VerificationResult previous = newest.getOrDefault(record.kind(), Map.of()).get(record.id());
      if (!all && previous != null && previous.ok()) {
        skipped++;
      } else {
        check.add(record);
      }
    }
    kinds.addAll(required);
    return new VerifyPlan(check, skipped, List.copyOf(kinds));
  }
}
