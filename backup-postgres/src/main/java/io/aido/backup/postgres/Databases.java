package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Whole databases on a server: create (from {@code template0}), rename, drop, and the maintenance
 * connection these run on. Used by restores into new databases and by scratch restore tests.
 *
 * <p>Every method throws {@link JobException} naming the database and the server: exit code 2 when
 * the request is refused as given (it exists), 1 when the server cannot be reached or refuses.
 */
public final class Databases {
  private Databases() {}

  /**
   * Refuses a database named {@code target} that already exists.
   *
   * @throws JobException exit code 2 when it exists, 1 when the server cannot be asked
   */
  public static void requireAbsent(PgConnection pg, String target) throws JobException {
    try (Connection c = openMaintenance(pg)) {
      if (exists(c, target)) {
        throw JobException.badInput(
            "unable to create database '"
                + target
                + "' on server '"
                + pg.server()
                + "': it already exists; leave out --create to restore into it");
      }
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to look for database '"
              + target
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  /**
   * Renames {@code from} to {@code to}; {@code to} must not exist and nobody may be connected to
   * {@code from}.
   *
   * @throws JobException exit code 1 when the server refuses
   */
  public static void rename(PgConnection pg, String from, String to) throws JobException {
    try (Connection c = openMaintenance(pg);
        Statement s = c.createStatement()) {
      s.execute(
          "ALTER DATABASE "
              + RowCounts.quoteIdent(from)
              + " RENAME TO "
              + RowCounts.quoteIdent(to));
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to rename database '"
              + from
              + "' to '"
              + to
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  private static boolean exists(Connection c, String database) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Creates {@code target} from {@code template0}.
   *
   * @throws JobException exit code 2 when it exists, 1 when the server refuses
   */
  public static void create(PgConnection pg, String target) throws JobException {
    try (Connection c = openMaintenance(pg)) {
      if (exists(c, target)) {
        throw JobException.badInput(
            "unable to create database '"
                + target
                + "' on server '"
                + pg.server()
                + "': it already exists; leave out --create to restore into it");
      }
      try (Statement s = c.createStatement()) {
        // template0: a clean database, free of anything added to template1 that would clash.
        s.execute("CREATE DATABASE " + RowCounts.quoteIdent(target) + " TEMPLATE template0");
      }
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to create database '"
              + target
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  /**
   * Drops {@code database}, ending its sessions ({@code WITH (FORCE)}); a missing one is fine.
   *
   * @throws JobException exit code 1 when the server cannot be reached or refuses
   */
  public static void drop(PgConnection pg, String database) throws JobException {
    try (Connection c = openMaintenance(pg);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + RowCounts.quoteIdent(database) + " WITH (FORCE)");
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to drop database '"
              + database
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  /**
   * A connection to the server's maintenance database ({@code postgres}, else {@code template1}),
   * for creating and dropping databases.
   *
   * @throws JobException when the server cannot be reached or the login is refused
   */
  public static Connection openMaintenance(PgConnection pg) throws SQLException, JobException {
    try {
      return pg.open("postgres");
    } catch (SQLException e) {
      if ("3D000".equals(e.getSQLState())) {
        return pg.open("template1");
      }
      throw PgErrors.onConnect(e, pg, "postgres");
    }
  }
}
