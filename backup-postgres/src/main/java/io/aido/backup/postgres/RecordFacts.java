package io.aido.backup.postgres;

import io.aido.backup.core.catalog.BackupRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a record's facts by name for the typed facts of the PostgreSQL kinds ({@link
 * LogicalDumpFacts}, {@code BaseBackupFacts}), with one wording for a fact that is missing or of
 * the wrong shape.
 *
 * <p>Every method throws {@link IllegalArgumentException} naming the backup and the fact when the
 * fact is missing or not of the expected JSON shape.
 */
public final class RecordFacts {
  private final BackupRecord record;

  private RecordFacts(BackupRecord record) {
    this.record = record;
  }

  public static RecordFacts of(BackupRecord record) {
    return new RecordFacts(record);
  }

  /** A required string fact. */
  public String string(String name) {
    Object v = record.facts().get(name);
    if (v instanceof String s) {
      return s;
    }
    throw problem(name, v, "a string");
  }

  /** An optional string fact; null when absent. */
  public String optionalString(String name) {
    Object v = record.facts().get(name);
    return v == null ? null : string(name);
  }

  /** A required whole number (JSON gives back Integer or Long). */
  public long number(String name) {
    Object v = record.facts().get(name);
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    throw problem(name, v, "a whole number");
  }

  /** A required map of names to whole numbers, in the stored order. */
  public Map<String, Long> counts(String name) {
    Object v = record.facts().get(name);
    if (v instanceof Map<?, ?> m
        && m.values().stream().allMatch(x -> x instanceof Integer || x instanceof Long)) {
      Map<String, Long> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), ((Number) x).longValue()));
      return out;
    }
    throw problem(name, v, "a map of counts");
  }

  /** A required list of strings. */
  public List<String> strings(String name) {
    Object v = record.facts().get(name);
    if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) {
      return l.stream().map(String.class::cast).toList();
    }
    throw problem(name, v, "a list of strings");
  }

  /** The wording of a fact that does not read, for callers that parse a fact's text further. */
  public IllegalArgumentException problem(String name, String why) {
    return new IllegalArgumentException(
        "backup " + record.id() + " (" + record.kind() + "): fact '" + name + "' " + why);
  }

  private IllegalArgumentException problem(String name, Object value, String expected) {
    return problem(name, value == null ? "is missing" : "is not " + expected + ": " + value);
  }
}
