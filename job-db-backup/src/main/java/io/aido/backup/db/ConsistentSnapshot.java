package io.aido.backup.db;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.Owners;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.Preflight;
import io.aido.backup.postgres.RowCounts;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * A read-only REPEATABLE READ transaction whose snapshot is exported for {@code pg_dump
 * --snapshot}, so the row counts taken here describe exactly what the dump holds, whatever is
 * written meanwhile.
 *
 * <p>Restriction: the exported snapshot is valid only while this transaction is open, so keep this
 * object open until pg_dump has ended. Closing rolls the transaction back (it wrote nothing).
 *
 * <pre>{@code
 * try (ConsistentSnapshot snap = ConsistentSnapshot.open(pg, "todo")) {
 *   try (PgDump dump = PgDump.database(pg, tools, "todo", snap.id())) { ... }
 *   Map<String, Long> counts = snap.rowCounts();
 * }
 * }</pre>
 */
public final class ConsistentSnapshot implements AutoCloseable {
  private final Connection connection;
  private final String id;

  private ConsistentSnapshot(Connection connection, String id) {
    this.connection = connection;
    this.id = id;
  }

  /**
   * Opens the transaction on {@code database} and exports its snapshot.
   *
   * @throws JobException if the server cannot be reached or the database is unknown (see {@link
   *     Preflight}), or the export fails
   */
  public static ConsistentSnapshot open(PgConnection pg, String database) throws JobException {
    Connection c;
    try {
      c = pg.open(database);
    } catch (SQLException e) {
      throw PgErrors.onConnect(e, pg, database);
    }
    try {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_export_snapshot()")) {
        rs.next();
        return new ConsistentSnapshot(c, rs.getString(1));
      }
    } catch (SQLException e) {
      closeQuietly(c);
      throw JobException.failed(
          "unable to export a snapshot of database '"
              + database
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  /** The snapshot id to pass to {@code pg_dump --snapshot}. */
  public String id() {
    return id;
  }

  /**
   * Exact row counts of every user table in this snapshot (see {@link RowCounts}).
   *
   * @throws SQLException if counting fails (the connection broke, the server died)
   */
  public Map<String, Long> rowCounts() throws SQLException {
    return RowCounts.count(connection);
  }

  /**
   * The roles that own objects in this snapshot (see {@link Owners}).
   *
   * @throws SQLException if the query fails
   */
  public List<String> owners() throws SQLException {
    return Owners.of(connection);
  }

  /** Ends the transaction; the snapshot id stops being valid. */
  @Override
  public void close() {
    try {
      connection.rollback();
    } catch (SQLException e) {
      // The connection may already be broken (server killed); closing it is all that is left.
    }
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // Nothing to do: the connection is unusable either way.
    }
  }
}
