package io.aido.backup.db;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.wal.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What point-in-time recovery needs to know about the server, read in one query, and the checks
 * that tell whether physical backups and WAL streaming can work at all.
 *
 * @param serverVersion {@code server_version}
 * @param serverMajor its major version
 * @param walLevel {@code wal_level}
 * @param maxWalSenders {@code max_wal_senders}
 * @param walSegmentSize {@code wal_segment_size} in bytes
 * @param systemIdentifier the cluster's system identifier (from its control file)
 * @param timeline the timeline the server writes WAL on now (from the current WAL file's name; the
 *     last checkpoint's may still be the previous one just after a promotion)
 * @param flushLsn {@code pg_current_wal_flush_lsn()}: WAL durably written so far
 * @param canReplicate whether the user is a superuser or has the REPLICATION attribute
 */
record PitrServer(
    String serverVersion,
    int serverMajor,
    String walLevel,
    int maxWalSenders,
    long walSegmentSize,
    String systemIdentifier,
    int timeline,
    Lsn flushLsn,
    boolean canReplicate) {

  /** Reads the facts through a normal connection to database {@code postgres}. */
  static PitrServer read(PgConnection pg) throws JobException {
    try (Connection c = pg.open("postgres")) {
      return read(c);
    } catch (SQLException e) {
      throw PgErrors.onConnect(e, pg, "postgres");
    }
  }

  static PitrServer read(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_setting('server_version'),"
                    + " current_setting('server_version_num')::int / 10000,"
                    + " current_setting('wal_level'),"
                    + " current_setting('max_wal_senders')::int,"
                    + " (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),"
                    + " (SELECT system_identifier::text FROM pg_control_system()),"
                    + " substr(pg_walfile_name(pg_current_wal_flush_lsn()), 1, 8),"
                    + " pg_current_wal_flush_lsn()::text,"
                    + " (SELECT rolsuper OR rolreplication FROM pg_roles"
                    + "  WHERE rolname = current_user)")) {
      rs.next();
      return new PitrServer(
          rs.getString(1),
          rs.getInt(2),
          rs.getString(3),
          rs.getInt(4),
          rs.getLong(5),
          rs.getString(6),
          Integer.parseInt(rs.getString(7), 16),
          Lsn.parse(rs.getString(8)),
          rs.getBoolean(9));
    }
  }

  /**
   * Refuses, naming the setting to change, when physical backups or WAL streaming cannot work.
   *
   * @param server names the server in messages
   */
  void checkReplicationPossible(String server, String user) throws JobException {
    if (!walLevel.equals("replica") && !walLevel.equals("logical")) {
      throw JobException.badInput(
          "server '"
              + server
              + "' has wal_level = "
              + walLevel
              + ": its WAL cannot rebuild the database, so point-in-time recovery is impossible;"
              + " set wal_level = replica (or logical) and restart the server");
    }
    if (maxWalSenders < 1) {
      throw JobException.badInput(
          "server '"
              + server
              + "' has max_wal_senders = 0: it accepts no replication connection; set"
              + " max_wal_senders to at least 2 (one for the archiver, one for base-backup) and"
              + " restart the server");
    }
    if (!canReplicate) {
      throw JobException.badInput(
          "user '"
              + user
              + "' may not stream WAL from server '"
              + server
              + "': it needs the REPLICATION attribute (ALTER ROLE "
              + user
              + " REPLICATION)");
    }
  }
}
