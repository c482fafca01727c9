package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import java.io.IOException;
import java.security.GeneralSecurityException;
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
 * <p>A key that cannot be used stops the run without a result ({@link
 * VerifyCommand#keyUnavailable}); a storage failure is thrown, and the results written so far stay.
 */
final class IntegrityPass {
  private static final Logger LOG = LoggerFactory.getLogger(IntegrityPass.class);

  private final IntegrityCheck integrity;
  private final BlobStore store;
  private final AuditLog audit;
  private final RunMetrics metrics;

  IntegrityPass(IntegrityCheck integrity, BlobStore store, AuditLog audit, RunMetrics metrics) {
    this.integrity = integrity;
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
      VerificationResult r = check(record);
      newest.get(record.kind()).put(record.id(), r);
      VerifyMetrics.backup(metrics, r);
      tally.add(record.kind(), r.bytesChecked(), r.ok() ? 0 : 1);
      if (!r.ok()) {
        tally.problems(r.problems());
      }
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
