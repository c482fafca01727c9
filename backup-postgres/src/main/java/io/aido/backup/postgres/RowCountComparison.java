package io.aido.backup.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Per-table row counts a backup recorded next to those a restore produced.
 *
 * @param rows one row per table found on either side, sorted by name
 */
public record RowCountComparison(List<Row> rows) {

  /**
   * One table.
   *
   * @param table {@code schema.table}
   * @param recorded the count in the backup record, or {@code null} if the record lacks the table
   * @param restored the count after the restore, or {@code null} if the table is missing
   */
  public record Row(String table, Long recorded, Long restored) {
    public boolean matches() {
      return recorded != null && recorded.equals(restored);
    }
  }

  public RowCountComparison {
    rows = List.copyOf(rows);
  }

  /** Compares the two maps table by table. */
  public static RowCountComparison of(Map<String, Long> recorded, Map<String, Long> restored) {
    TreeSet<String> tables = new TreeSet<>(recorded.keySet());
    tables.addAll(restored.keySet());
    List<Row> rows = new ArrayList<>();
    for (String t : tables) {
      rows.add(new Row(t, recorded.get(t), restored.get(t)));
    }
    return new RowCountComparison(rows);
  }

  /** Whether every table holds exactly the recorded number of rows. */
  public boolean matches() {
    return rows.stream().allMatch(Row::matches);
  }

  /** The tables that differ. */
  public List<Row> differences() {
    return rows.stream().filter(r -> !r.matches()).toList();
  }

  /** A table for people: table, recorded, restored, and a mark where they differ. */
  public String format() {
    int width = Math.max(5, rows.stream().mapToInt(r -> r.table().length()).max().orElse(5));
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-" + width + "s %12s %12s%n", "table", "recorded", "restored"));
    for (Row r : rows) {
      b.append(
          String.format(
              "%-" + width + "s %12s %12s%s%n",
              r.table(),
              r.recorded() == null ? "-" : r.recorded(),
              r.restored() == null ? "-" : r.restored(),
              r.matches() ? "" : "  DIFFERS"));
    }
    return b.toString();
  }
}
