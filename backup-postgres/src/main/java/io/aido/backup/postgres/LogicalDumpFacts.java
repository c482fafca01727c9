package io.aido.backup.postgres;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The facts of a {@code db-logical} backup record: what {@code backup} stores, typed, and how it is
 * stored (the same JSON names and shapes as every record of format 1).
 *
 * <pre>{@code
 * writer.commit(new LogicalDumpFacts(db, part.name(), "globals.sql", ...).toFacts());
 * LogicalDumpFacts facts = LogicalDumpFacts.of(record);
 * }</pre>
 *
 * @param database the database that was dumped
 * @param dumpPart the part holding the custom-format dump
 * @param globalsPart the part holding {@code pg_dumpall --globals-only}
 * @param serverVersion the server's version
 * @param pgDumpVersion {@code pg_dump --version}
 * @param snapshot the exported snapshot the dump and the counts read
 * @param rowCounts the row count of every table ({@code schema.table}) in that snapshot
 * @param owners the roles that own objects in the dump
 */
public record LogicalDumpFacts(
    String database,
    String dumpPart,
    String globalsPart,
    String serverVersion,
    String pgDumpVersion,
    String snapshot,
    Map<String, Long> rowCounts,
    List<String> owners) {
  public LogicalDumpFacts {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(dumpPart, "dumpPart");
    Objects.requireNonNull(globalsPart, "globalsPart");
    Objects.requireNonNull(serverVersion, "serverVersion");
    Objects.requireNonNull(pgDumpVersion, "pgDumpVersion");
    Objects.requireNonNull(snapshot, "snapshot");
    rowCounts = Collections.unmodifiableMap(new LinkedHashMap<>(rowCounts));
    owners = List.copyOf(owners);
  }

  /**
   * The facts of {@code record}.
   *
   * @throws IllegalArgumentException naming the backup and the fact if it is not a {@code
   *     db-logical} record or a fact is missing or unreadable
   */
  public static LogicalDumpFacts of(BackupRecord record) {
    if (record.kind() != BackupKind.DB_LOGICAL) {
      throw new IllegalArgumentException(
          "backup " + record.id() + " is of kind " + record.kind() + ", not db-logical");
    }
    RecordFacts f = RecordFacts.of(record);
    return new LogicalDumpFacts(
        f.string("database"),
        f.string("dumpPart"),
        f.string("globalsPart"),
        f.string("serverVersion"),
        f.string("pgDumpVersion"),
        f.string("snapshot"),
        f.counts("rowCounts"),
        f.strings("owners"));
  }

  /** The facts as the record stores them. */
  public Map<String, Object> toFacts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("database", database);
    facts.put("dumpPart", dumpPart);
    facts.put("globalsPart", globalsPart);
    facts.put("serverVersion", serverVersion);
    facts.put("pgDumpVersion", pgDumpVersion);
    facts.put("snapshot", snapshot);
    facts.put("rowCounts", rowCounts);
    facts.put("owners", owners);
    return facts;
  }

  /**
   * The dump's part in {@code record}.
   *
   * @throws IllegalArgumentException if the record holds no part of that name
   */
  public PartRecord dumpPartOf(BackupRecord record) {
    return record
        .part(dumpPart)
        .orElseThrow(
            () ->
                RecordFacts.of(record)
                    .problem("dumpPart", "names '" + dumpPart + "', which is not a part of it"));
  }

  /** The number of rows over all tables. */
  public long totalRows() {
    return rowCounts.values().stream().mapToLong(Long::longValue).sum();
  }
}
