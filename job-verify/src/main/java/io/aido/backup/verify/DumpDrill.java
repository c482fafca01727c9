package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.postgres.LogicalDumpFacts;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;

/**
 * The drill's {@code dump} step: the newest database dump restored into a scratch database by the
 * restore test's own code ({@link ScratchRestore}: pg_restore, every table's row count against the
 * record, ANALYZE and a sample of each table, the scratch database dropped whatever happened).
 *
 * <p>The recovery point is the dump's start (pg_dump's snapshot is taken then).
 */
final class DumpDrill {
  static final String COMPONENT = "dump";

  private DumpDrill() {}

  static DrillStep run(
      ScratchRestore restore, BackupRecord record, String server, PrintStream out) {
    DrillStep.Log log = new DrillStep.Log(COMPONENT);
    log.backup(record.id().value());
    out.printf("dump: restoring backup %s into a scratch database on %s%n", record.id(), server);
    try {
      restore.preflight();
      ScratchRestore.Outcome outcome = restore.check(record);
      VerificationResult r = outcome.result();
      if (r.restoreMillis() != null) {
        log.restored(Duration.ofMillis(r.restoreMillis()));
      }
      r.problems().forEach(log::problem);
      if (outcome.leftover() != null) {
        log.leftover("scratch database " + outcome.leftover());
      }
      if (r.ok()) {
        log.recoveryPoint(record.startedAt());
        log.check(
            "row counts of "
                + LogicalDumpFacts.of(record).rowCounts().size()
                + " table(s) equal the record; every table analyzed and sampled");
      }
    } catch (JobException | KeyUnavailableException e) {
      log.error("the scratch server or the key cannot be used: " + e.getMessage());
    } catch (IOException e) {
      log.error("unable to read backup " + record.id() + ": " + e.getMessage());
    }
    DrillStep step = log.result();
    out.printf("dump: %s%n", step.status().name().toLowerCase(java.util.Locale.ROOT));
    return step;
  }
}
