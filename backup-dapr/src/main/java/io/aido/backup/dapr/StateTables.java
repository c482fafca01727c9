package io.aido.backup.dapr;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.stream.Collectors;

/** SQL on a Dapr PostgreSQL state table that is the same for both layouts. */
final class StateTables {
  private StateTables() {}

  /** Deletes the rows in scope (expired ones too, so their keys are free); returns how many. */
  static long deleteScope(Connection c, String quoted, KeyFilter filter) throws SQLException {
    if (filter.all()) {
      try (Statement s = c.createStatement()) {
        return s.executeUpdate("DELETE FROM " + quoted);
      }
    }
    long removed = 0;
    try (PreparedStatement select = c.prepareStatement("SELECT key FROM " + quoted);
        PreparedStatement delete = c.prepareStatement("DELETE FROM " + quoted + " WHERE key = ?")) {
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1);
          if (filter.matches(key)) {
            delete.setString(1, key);
            delete.addBatch();
            removed++;
          }
        }
      }
      delete.executeBatch();
    }
    return removed;
  }

  /** The first line of a driver message (PostgreSQL adds detail lines). */
  static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** {@code schema.table} or {@code table}, each part quoted as an identifier. */
  static String quote(String table) {
    return Arrays.stream(table.split("\\.", 2))
        .map(p -> "\"" + p.replace("\"", "\"\"") + "\"")
        .collect(Collectors.joining("."));
  }
}
