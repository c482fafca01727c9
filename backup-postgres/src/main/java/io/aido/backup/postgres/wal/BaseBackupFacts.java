package io.aido.backup.postgres.wal;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.postgres.RecordFacts;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The facts of a {@code db-base} backup record: the WAL range a base backup needs and where it came
 * from, typed, and stored under the same JSON names and shapes as every record of format 1.
 *
 * <pre>{@code
 * writer.commit(new BaseBackupFacts("base.tar", start, stop, 1, ...).toFacts());
 * Lsn from = BaseBackupFacts.of(record).startLsn();
 * }</pre>
 *
 * @param basePart the part holding pg_basebackup's tar
 * @param startLsn where the backup's WAL starts (from {@code backup_label})
 * @param stopLsn where it ends (from the manifest): recovery must replay at least this far
 * @param timeline the timeline the backup was taken on
 * @param startSegment the name of the segment holding {@code startLsn}
 * @param walSegmentSize the cluster's WAL segment size in bytes
 * @param systemIdentifier the cluster's system identifier
 * @param startTime {@code START TIME} from {@code backup_label}; null if the label held none
 * @param manifestChecksum the backup manifest's checksum; null if the manifest held none
 * @param serverVersion the server's version
 * @param pgBasebackupVersion {@code pg_basebackup --version}
 */
public record BaseBackupFacts(
    String basePart,
    Lsn startLsn,
    Lsn stopLsn,
    int timeline,
    String startSegment,
    long walSegmentSize,
    String systemIdentifier,
    String startTime,
    String manifestChecksum,
    String serverVersion,
    String pgBasebackupVersion) {
  public BaseBackupFacts {
    Objects.requireNonNull(basePart, "basePart");
    Objects.requireNonNull(startLsn, "startLsn");
    Objects.requireNonNull(stopLsn, "stopLsn");
    Objects.requireNonNull(startSegment, "startSegment");
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    Objects.requireNonNull(serverVersion, "serverVersion");
    Objects.requireNonNull(pgBasebackupVersion, "pgBasebackupVersion");
  }

  /**
   * The facts of {@code record}.
   *
   * @throws IllegalArgumentException naming the backup and the fact if it is not a {@code db-base}
   *     record or a fact is missing or unreadable
   */
  public static BaseBackupFacts of(BackupRecord record) {
    if (record.kind() != BackupKind.DB_BASE) {
      throw new IllegalArgumentException(
          "backup " + record.id() + " is of kind " + record.kind() + ", not db-base");
    }
    RecordFacts f = RecordFacts.of(record);
    return new BaseBackupFacts(
        f.string("basePart"),
        lsn(f, "startLsn"),
        lsn(f, "stopLsn"),
        Math.toIntExact(f.number("timeline")),
        f.string("startSegment"),
        f.number("walSegmentSize"),
        f.string("systemIdentifier"),
        f.optionalString("startTime"),
        f.optionalString("manifestChecksum"),
        f.string("serverVersion"),
        f.string("pgBasebackupVersion"));
  }

  private static Lsn lsn(RecordFacts f, String name) {
    String text = f.string(name);
    try {
      return Lsn.parse(text);
    } catch (IllegalArgumentException e) {
      throw f.problem(name, "is not a WAL position: " + text);
    }
  }

  /** The facts as the record stores them (absent optional facts are left out). */
  public Map<String, Object> toFacts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("basePart", basePart);
    facts.put("startLsn", startLsn.toString());
    facts.put("stopLsn", stopLsn.toString());
    facts.put("timeline", timeline);
    facts.put("startSegment", startSegment);
    facts.put("walSegmentSize", walSegmentSize);
    facts.put("systemIdentifier", systemIdentifier);
    if (startTime != null) {
      facts.put("startTime", startTime);
    }
    if (manifestChecksum != null) {
      facts.put("manifestChecksum", manifestChecksum);
    }
    facts.put("serverVersion", serverVersion);
    facts.put("pgBasebackupVersion", pgBasebackupVersion);
    return facts;
  }
}
