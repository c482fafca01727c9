package io.aido.backup.postgres.wal;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.storage.BlobReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The WAL check of verification: every gap in the archived WAL after the start of the oldest base
 * backup is a failure, worded {@code wal: point-in-time recovery is impossible between X and Y
 * ...}. Gaps before the oldest base backup are harmless (no recovery starts there; retention
 * removes that WAL). Needs only object names: no key, no download.
 */
public final class WalVerification {
  private WalVerification() {}

  /**
   * The problems found, one line each; empty when the chain is whole.
   *
   * @param records the catalog's records (only {@code db-base} ones are read)
   * @throws IOException if the archive cannot be listed
   */
  public static List<String> problems(BlobReader reader, Collection<BackupRecord> records)
      throws IOException {
    List<BackupRecord> bases =
        records.stream().filter(r -> r.kind() == BackupKind.DB_BASE).toList();
    long segmentSize;
    Optional<Lsn> oldest;
    try {
      segmentSize = WalRetention.segmentSize(bases);
      oldest = WalRetention.oldestStart(bases);
    } catch (IllegalArgumentException e) {
      return List.of("wal: " + e.getMessage());
    }
    WalChain chain = WalChain.of(WalArchive.list(reader, segmentSize));
    List<String> problems = new ArrayList<>();
    for (WalChain.Gap gap : chain.gaps()) {
      if (oldest.isEmpty() || gap.to().isAfter(oldest.get())) {
        problems.add("wal: " + gap.describe());
      }
    }
    return problems;
  }
}
