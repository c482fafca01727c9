package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.retention.Leases;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The integrity step of a verify run: each planned backup is checked ({@link IntegrityCheck}), its
 * result written ({@link VerificationResults}) and audited ({@link AuditAction#READ}), its metrics
 * set, and its bytes, failure and problems added to the run's {@link Tally}.
 *
 * <p>Each backup is read under a lease ({@link Leases}), so retention keeps it meanwhile; one that
 * retention removed between the listing and the lease is skipped, not reported as broken.
 *
 * <p>A key that cannot be used stops the run without a result ({@link
 * VerifyCommand#keyUnavailable}); a storage failure is thrown, and the results written so far stay.
 */
final class IntegrityPass {
  private static final Logger LOG = LoggerFactory.getLogger(IntegrityPass.class);

  /** How long a verification's lease protects a backup if the run dies while reading it. */
  private static final Duration LEASE = Duration.ofHours(2);

  private final IntegrityCheck integrity;
  private final BlobStore store;
  private final AuditLog audit;
  private final RunMetrics metrics;
  private final Clock clock;

  IntegrityPass(
      IntegrityCheck integrity, BlobStore store, AuditLog audit, RunMetrics metrics, Clock clock) {
    this.integrity = integrity;
    this.clock = clock;
    this.store = store;
    this.audit = audit;
    this.metrics = metrics;
  }

  /**
   * Checks {@code records}, putting each result into {@code newest} (by kind) and counting it in
   * {@code tally}.
   *
   * @throws GeneralSecurityException when the key cannot be used at all
   * @throws IOException when the store fails
   */
  void run(
      List<BackupRecord> records,
      Map<BackupKind, Map<BackupId, VerificationResult>> newest,
      Tally tally)
      throws IOException, GeneralSecurityException {
    for (BackupRecord record : records) {
      Leases.Held held =
          Leases.hold(store, record.kind(), record.id(), "verify", LEASE, clock.instant());
      try {
        if (!held.others().isEmpty()) {
          LOG.info("backup {} is {}", record.id(), held.othersSentence());
        }
        if (held.lease().isPresent()
            && store.stat(Layout.record(record.kind(), record.id())).isEmpty()) {
          // retention removed it after the listing and before the lease: not a broken backup
          LOG.info("backup {} ({}) was removed meanwhile; not checked", record.id(), record.kind());
          continue;
        }
        KillPoints.reach("verify-leased");
        VerificationResult r = check(record);
        newest.get(record.kind()).put(record.id(), r);
        VerifyMetrics.backup(metrics, r);
        tally.add(record.kind(), r.bytesChecked(), r.ok() ? 0 : 1);
        if (!r.ok()) {
          tally.problems(r.problems());
        }
      } finally {
        release(record, held);
      }
    }
  }

  private void release(BackupRecord record, Leases.Held held) {
    if (held.lease().isEmpty()) {
      return;
    }
    try {
      Leases.release(store, record.kind(), record.id(), held.lease().get().holder());
    } catch (IOException | RuntimeException e) {
      LOG.warn("unable to release the lease on backup {}; it expires by itself", record.id());
    }
  }

  private VerificationResult check(BackupRecord record)
      throws IOException, GeneralSecurityException {
    try (var c = MDC.putCloseable("backup_id", record.id().value());
        var k = MDC.putCloseable("kind", record.kind().id())) {
      VerificationResult r;
      try {
        r = integrity.check(record);
      } catch (KeyUnavailableException e) {
        throw VerifyCommand.keyUnavailable(record, e);
      }
      audit.record(
          AuditAction.READ,
          record.kind(),
          record.id(),
          Map.of(
              "level", r.level(),
              "outcome", r.ok() ? "ok" : "bad",
              "bytes", Long.toString(r.bytesChecked())));
      VerificationResults.write(store, r);
      LOG.info(
          "backup {} ({}): {} ({} bytes in {} ms)",
          record.id(),
          record.kind(),
          r.ok() ? "ok" : "bad",
          r.bytesChecked(),
          r.durationMillis());
      return r;
    }
  }
}
