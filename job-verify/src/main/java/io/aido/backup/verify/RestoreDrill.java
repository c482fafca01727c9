package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.retention.Leases;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import io.aido.backup.postgres.LogicalDumpFacts;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The restore-test level of a verify run: which backups to test-restore, one {@link ScratchRestore}
 * each, and their results, audit events and metrics.
 *
 * <p>Which: the newest complete {@code db-logical} backup of each source database, or every one
 * ({@code all}); a backup whose newest result failed (its integrity check, this run's included) is
 * left out, since it is already reported. First {@link ScratchRestore#preflight} checks pg_restore
 * and the scratch server, and scratch databases of killed runs are dropped.
 *
 * <p>Each test gets an audit event ({@link AuditAction#READ}, {@code level restore-test}) and an
 * append-only result. A scratch server that refuses the credentials becomes a configuration problem
 * (exit 2); one that cannot be reached or fails is thrown (exit 1); results written so far stay.
 */
final class RestoreDrill {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreDrill.class);

  private final ScratchRestore restore;
  private final AuditLog audit;
  private final RunMetrics metrics;
  private final String server;
  private final Clock clock;

  /** How long a restore test's lease protects a backup if the run dies while restoring it. */
  private static final Duration LEASE = Duration.ofHours(6);

  /**
   * What the restore tests of a run found.
   *
   * @param problems one line per problem, to print
   * @param leftovers scratch databases that could not be dropped, with why
   */
  record Summary(int tested, int bad, long bytes, List<String> problems, List<String> leftovers) {
    static final Summary NONE = new Summary(0, 0, 0, List.of(), List.of());
  }

  RestoreDrill(
      ScratchRestore restore, AuditLog audit, RunMetrics metrics, String server, Clock clock) {
    this.restore = restore;
    this.clock = clock;
    this.audit = audit;
    this.metrics = metrics;
    this.server = server;
  }

  /**
   * Test-restores the chosen backups among {@code records}, writing each result to {@code store}
   * and into {@code results} (the newest result of each db-logical backup).
   */
  Summary run(
      List<BackupRecord> records,
      boolean all,
      Map<BackupId, VerificationResult> results,
      BlobStore store)
      throws Exception {
    Map<String, BackupRecord> chosen = new LinkedHashMap<>();
    for (BackupRecord r : records) {
      if (r.kind() == BackupKind.DB_LOGICAL) {
        chosen.put(all ? r.id().value() : databaseOf(r), r);
      }
    }
    List<String> problems = new ArrayList<>();
    List<String> leftovers = new ArrayList<>();
    int tested = 0;
    int bad = 0;
    long bytes = 0;
    try {
      restore.preflight();
      for (String name : restore.dropLeftovers()) {
        LOG.warn("dropped scratch database '{}' left by an earlier run", name);
      }
      for (BackupRecord record : chosen.values()) {
        VerificationResult before = results.get(record.id());
        if (before != null && !before.ok()) {
          LOG.warn("backup {}: not test-restored, its newest verification failed", record.id());
          continue;
        }
        ScratchRestore.Outcome outcome = test(record, results, store);
        VerificationResult r = outcome.result();
        tested++;
        bytes += r.bytesChecked();
        VerifyMetrics.backup(metrics, r);
        VerifyMetrics.restore(metrics, r, outcome.database());
        if (!r.ok()) {
          bad++;
          problems.addAll(r.problems());
        }
        if (outcome.leftover() != null) {
          leftovers.add(outcome.leftover());
        }
      }
    } catch (JobException e) {
      if (e.exitCode() == ExitCodes.USAGE) {
        ConfigProblems scratch = new ConfigProblems();
        scratch.add("scratch server (PGHOST, PGPORT, PGUSER)", e.getMessage());
        scratch.throwIfAny();
      }
      throw e;
    }
    VerifyMetrics.restoreTests(metrics, BackupKind.DB_LOGICAL.id(), tested, bad);
    return new Summary(tested, bad, bytes, problems, leftovers);
  }

  /**
   * What the drill groups by: the dumped database; a record whose facts do not read stands alone.
   */
  private static String databaseOf(BackupRecord r) {
    try {
      return LogicalDumpFacts.of(r).database();
    } catch (IllegalArgumentException e) {
      return r.id().value();
    }
  }

  /** Test-restores one backup, writes and audits its result and puts it into {@code results}. */
  private ScratchRestore.Outcome test(
      BackupRecord record, Map<BackupId, VerificationResult> results, BlobStore store)
      throws Exception {
    ScratchRestore.Outcome outcome;
    // read under a lease, as the integrity pass does: retention keeps the backup meanwhile
    Leases.Held held =
        Leases.hold(store, record.kind(), record.id(), "verify", LEASE, clock.instant());
    try (var c = MDC.putCloseable("backup_id", record.id().value());
        var k = MDC.putCloseable("kind", record.kind().id())) {
      if (!held.others().isEmpty()) {
        LOG.info("backup {} is {}", record.id(), held.othersSentence());
      }
      KillPoints.reach("verify-leased");
      try {
        outcome = restore.check(record);
      } catch (KeyUnavailableException e) {
        throw VerifyCommand.keyUnavailable(record, e);
      }
      VerificationResult r = outcome.result();
      audit.record(
          AuditAction.READ,
          record.kind(),
          record.id(),
          Map.of(
              "level",
              r.level(),
              "outcome",
              r.ok() ? "ok" : "bad",
              "bytes",
              Long.toString(r.bytesChecked()),
              "server",
              server));
      VerificationResults.write(store, r);
      results.put(record.id(), r);
      LOG.info(
          "backup {} ({}): restore test {} (restore took {} ms)",
          record.id(),
          record.kind(),
          r.ok() ? "ok" : "bad",
          r.restoreMillis());
    } finally {
      if (held.lease().isPresent()) {
        try {
          Leases.release(store, record.kind(), record.id(), held.lease().get().holder());
        } catch (IOException | RuntimeException e) {
          LOG.warn("unable to release the lease on backup {}; it expires by itself", record.id());
        }
      }
    }
    return outcome;
  }
}
