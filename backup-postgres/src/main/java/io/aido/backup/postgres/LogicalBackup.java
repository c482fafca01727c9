package io.aido.backup.postgres;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@code db-logical} backup record says about its database, read from the facts the backup
 * job stores: {@code database}, {@code dumpPart}, {@code rowCounts} and {@code owners}.
 *
 * <p>Lenient about older records: a record without {@code dumpPart} names its first {@code *.dump}
 * part, one without {@code database} falls back to the source's database; missing counts and owners
 * read as empty.
 */
public final class LogicalBackup {
  private LogicalBackup() {}

  /** The database that was dumped; empty when the record names none. */
  public static String database(BackupRecord r) {
    return String.valueOf(
        r.facts().getOrDefault("database", Objects.toString(r.source().database(), "")));
  }

  /** The part holding the custom-format dump. */
  public static Optional<PartRecord> dumpPart(BackupRecord r) {
    Object name = r.facts().get("dumpPart");
    return name == null
        ? r.parts().stream().filter(p -> p.name().endsWith(".dump")).findFirst()
        : r.part(name.toString());
  }

  /** The row count of every table ({@code schema.table}) when the dump was taken. */
  public static Map<String, Long> rowCounts(BackupRecord r) {
    Map<String, Long> counts = new LinkedHashMap<>();
    if (r.facts().get("rowCounts") instanceof Map<?, ?> m) {
      m.forEach((k, v) -> counts.put(String.valueOf(k), ((Number) v).longValue()));
    }
    return counts;
  }

  /** Whether the record carries row counts at all (an empty database has an empty map). */
  public static boolean hasRowCounts(BackupRecord r) {
    return r.facts().get("rowCounts") instanceof Map<?, ?>;
  }

  /** The roles that own objects in the dump. */
  public static List<String> owners(BackupRecord r) {
    if (r.facts().get("owners") instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
