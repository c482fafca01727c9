package io.aido.backup.core.catalog;

import io.aido.backup.core.crypto.WrappedDataKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Records for catalog and commit tests: the data key is a placeholder, never used for decryption
 * here.
 */
public final class Records {
  private Records() {}

  public static BackupRecord record(BackupKind kind, String id, List<PartRecord> parts) {
    BackupId backupId = new BackupId(id);
    return new BackupRecord(
        BackupRecord.FORMAT,
        backupId,
        kind,
        new Source("prod", "todo", "todo", "15.4", Map.of("release", "todo")),
        "1.2.3",
        backupId.time(),
        backupId.time().plusSeconds(42),
        BackupRecord.COMPLETE,
        parts,
        new WrappedDataKey("tink-keyset:123", "AES256_GCM_HKDF_1MB", "AAAA"),
        Map.of("rowCounts", Map.of("todo", 3), "tables", 1));
  }

  public static PartRecord part(BackupKind kind, String id, String name, long storedSize) {
    return new PartRecord(
        name,
        Layout.part(kind, new BackupId(id), name).name(),
        storedSize,
        storedSize * 3,
        "ab".repeat(32),
        "zstd");
  }

  public static Instant at(String iso) {
    return Instant.parse(iso);
  }
}
