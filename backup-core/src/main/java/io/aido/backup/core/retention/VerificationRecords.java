package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * What retention needs to know about verification: whether a backup's newest result (by object
 * name, which sorts by time) says {@code "ok": true}. A later failed verification withdraws an
 * earlier success; a result that cannot be parsed, or lacks a boolean {@code ok}, counts as not
 * verified. Reading is {@link VerificationResults}'s; this is its view for retention.
 */
public final class VerificationRecords {

  private VerificationRecords() {}

  /**
   * Whether the backup's newest verification result is a success.
   *
   * @throws IOException if listing or reading fails
   */
  public static boolean verified(BlobReader reader, BackupKind kind, BackupId id)
      throws IOException {
    return VerificationResults.newest(reader, kind, id).map(VerificationResult::ok).orElse(false);
  }

  /**
   * Every backup of {@code kind} whose newest verification result is a success, with one listing.
   *
   * @throws IOException if listing or reading fails
   */
  public static Set<BackupId> verifiedBackups(BlobReader reader, BackupKind kind)
      throws IOException {
    Set<BackupId> verified = new HashSet<>();
    VerificationResults.newest(reader, kind)
        .forEach(
            (id, result) -> {
              if (result.ok()) {
                verified.add(id);
              }
            });
    return verified;
  }
}
