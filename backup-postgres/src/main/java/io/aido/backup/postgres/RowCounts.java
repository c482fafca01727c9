package io.aido.backup.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exact row counts of every user table, keyed {@code schema.table}.
 *
 * <p>User tables are ordinary tables and partitions ({@code relkind 'r'}) outside {@code
 * pg_catalog}, {@code information_schema}, {@code pg_toast} and temporary schemas. Partitioned
 * parents are left out because their partitions already carry their rows; views, materialized views
 * and foreign tables hold no dumped rows.
 */
public final class RowCounts {
  private RowCounts() {}

  private static final String USER_TABLES =
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
          + " ORDER BY 1, 2";

  /**
   * Counts the rows of every user table with {@code SELECT count(*)}, in whatever transaction
   * {@code c} is in (a snapshot's, to count what a dump holds).
   */
  public static Map<String, Long> count(Connection c) throws SQLException {
    List<String[]> tables = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(USER_TABLES)) {
      while (rs.next()) {
        tables.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    Map<String, Long> counts = new TreeMap<>();
    try (Statement s = c.createStatement()) {
      for (String[] t : tables) {
        try (ResultSet rs =
            s.executeQuery("SELECT count(*) FROM " + quoteIdent(t[0]) + "." + quoteIdent(t[1]))) {
          rs.next();
          counts.put(t[0] + "." + t[1], rs.getLong(1));
        }
      }
    }
    return counts;
  }

  /** {@code name} as a quoted SQL identifier. */
  public static String quoteIdent(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
