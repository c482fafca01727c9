package io.aido.backup.db;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.wal.Lsn;
import java.sql.SQLException;

/** How a failed WAL stream is reported: pg_hba, WAL already removed, authentication, other. */
final class ReplicationErrors {
  private ReplicationErrors() {}

  /**
   * The failure of a replication connection or stream, said for what it most likely is.
   *
   * @param position where streaming stood
   */
  static JobException failed(SQLException e, PgConnection pg, Lsn position) {
    String msg = PgErrors.firstLine(e.getMessage());
    if (msg.contains("pg_hba.conf") || "28000".equals(e.getSQLState())) {
      return JobException.badInput(
          "server '"
              + pg.server()
              + "' refuses replication connections from user '"
              + pg.user()
              + "': "
              + msg
              + "; add a line like 'host replication "
              + pg.user()
              + " <archiver address>/32 scram-sha-256' to pg_hba.conf and reload");
    }
    if (msg.contains("requested WAL segment") && msg.contains("has already been removed")) {
      return JobException.failed(
          "server '"
              + pg.server()
              + "' no longer holds WAL from "
              + position
              + ": "
              + msg
              + "; point-in-time recovery is impossible across it, take a new base-backup",
          e);
    }
    if ("28P01".equals(e.getSQLState())) {
      return JobException.badInput(
          "unable to open a replication connection to '"
              + pg.server()
              + "': authentication failed for user '"
              + pg.user()
              + "'");
    }
    return JobException.failed(
        "WAL streaming from '"
            + pg.server()
            + "' failed at "
            + position
            + ": "
            + msg
            + "; everything archived before it is kept",
        e);
  }
}
