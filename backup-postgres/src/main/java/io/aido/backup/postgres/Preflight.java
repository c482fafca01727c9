package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgTools.ToolVersion;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The database checks a backup makes before any byte moves: the server is reachable, the
 * credentials are valid, {@code pg_dump} is not older than the server, and every database exists.
 *
 * <p>The repository checks (writable, key usable) belong to the command, which owns the repository.
 */
public final class Preflight {
  private Preflight() {}

  /**
   * What the checks found.
   *
   * @param serverVersion the server's {@code server_version} ({@code 15.14 (Debian ...)})
   * @param serverMajor its major version (15)
   * @param pgDump the version of the {@code pg_dump} that will run
   */
  public record ServerFacts(String serverVersion, int serverMajor, ToolVersion pgDump) {}

  /**
   * Runs every check, stopping at the first that fails.
   *
   * @throws JobException with one line naming what failed: exit code 2 for wrong credentials, an
   *     unknown database or too old a pg_dump; 1 for an unreachable server or a tool that will not
   *     run
   */
  public static ServerFacts check(PgConnection pg, PgTools tools, List<String> databases)
      throws JobException {
    if (databases.isEmpty()) {
      throw JobException.badInput("no database to back up (set --database or BACKUP_DATABASES)");
    }
    String serverVersion;
    int serverMajor;
    try (Connection c = pg.open(databases.get(0));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_setting('server_version'),"
                    + " current_setting('server_version_num')::int / 10000")) {
      rs.next();
      serverVersion = rs.getString(1);
      serverMajor = rs.getInt(2);
    } catch (SQLException e) {
      throw PgErrors.onConnect(e, pg, databases.get(0));
    }
    ToolVersion pgDump;
    try {
      pgDump = tools.version("pg_dump");
    } catch (IOException e) {
      throw JobException.failed(e.getMessage(), e);
    }
    if (pgDump.major() < serverMajor) {
      throw JobException.badInput(
          "pg_dump major version "
              + pgDump.major()
              + " ("
              + pgDump.text()
              + ") is older than the server's "
              + serverMajor
              + " (PostgreSQL "
              + serverVersion
              + " on '"
              + pg.server()
              + "'); install pg_dump "
              + serverMajor
              + " or newer, or point PG_BIN_DIR at it");
    }
    for (String db : databases.subList(1, databases.size())) {
      try (Connection c = pg.open(db)) {
        c.isValid(10);
      } catch (SQLException e) {
        throw PgErrors.onConnect(e, pg, db);
      }
    }
    return new ServerFacts(serverVersion, serverMajor, pgDump);
  }
}
