package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.Databases;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The databases a restore test creates on the scratch server: named {@value #PREFIX}{@code
 * <backup-id>_<random>}, each claimed by the run using it, and dropped by it.
 *
 * <p>Guarantees: a name is unique (the backup id and 48 random bits). While a run uses a database
 * it holds a session advisory lock on its name ({@link #claim}), which the server releases when
 * that session ends, also when the run is killed. {@link #dropLeftovers} drops only databases whose
 * name starts with {@value #PREFIX} and whose lock it can take: leftovers of killed runs, never a
 * database another run is restoring into, never a database without the prefix.
 */
final class ScratchDatabases {
  /** The prefix of every database a restore test creates. */
  static final String PREFIX = "aido_verify_";

  /** The first key of the advisory locks (ASCII "aidv"), so they stay apart from the app's. */
  private static final int LOCK_CLASS = 0x61696476;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final PgConnection pg;

  ScratchDatabases(PgConnection pg) {
    this.pg = pg;
  }

  /** A fresh name for restoring {@code id}: lower case, at most 63 bytes. */
  static String newName(BackupId id) {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return PREFIX
        + id.value().toLowerCase(Locale.ROOT).replace('-', '_')
        + "_"
        + HexFormat.of().formatHex(random);
  }

  /**
   * Claims {@code name} for this run until the returned claim is closed.
   *
   * @throws JobException exit code 1 (2 for refused credentials) when the server cannot be used
   */
  Claim claim(String name) throws JobException {
    Connection c;
    try {
      c = Databases.openMaintenance(pg);
    } catch (SQLException e) {
      throw PgErrors.onConnect(e, pg, "postgres");
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?))")) {
      ps.setInt(1, LOCK_CLASS);
      ps.setString(2, name);
      ps.execute();
      return new Claim(c);
    } catch (SQLException e) {
      close(c);
      throw failed("lock", name, e);
    }
  }

  /**
   * Drops every database with our prefix that no running restore test claims.
   *
   * @return the names dropped
   * @throws JobException when the server cannot be used or a drop fails
   */
  List<String> dropLeftovers() throws JobException {
    List<String> dropped = new ArrayList<>();
    try (Connection c = Databases.openMaintenance(pg)) {
      List<String> candidates = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT datname FROM pg_database WHERE starts_with(datname, ?) ORDER BY 1")) {
        ps.setString(1, PREFIX);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            candidates.add(rs.getString(1));
          }
        }
      }
      for (String name : candidates) {
        if (!name.startsWith(PREFIX)) {
          continue;
        }
        if (!lock(c, "SELECT pg_try_advisory_lock(?, hashtext(?))", name)) {
          continue;
        }
        try {
          Databases.drop(pg, name);
          dropped.add(name);
        } finally {
          lock(c, "SELECT pg_advisory_unlock(?, hashtext(?))", name);
        }
      }
    } catch (SQLException e) {
      throw failed("list leftover scratch databases", "", e);
    }
    return dropped;
  }

  private static boolean lock(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, LOCK_CLASS);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private JobException failed(String what, String name, SQLException e) {
    return JobException.failed(
        "unable to "
            + what
            + (name.isEmpty() ? "" : " scratch database '" + name + "'")
            + " on server '"
            + pg.server()
            + "': "
            + PgErrors.firstLine(e.getMessage()),
        e);
  }

  private static void close(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // the session ends either way, and with it the lock
    }
  }

  /** A claimed name; closing it ends the session, which releases the lock. */
  static final class Claim implements AutoCloseable {
    private final Connection session;

    private Claim(Connection session) {
      this.session = session;
    }

    @Override
    public void close() {
      ScratchDatabases.close(session);
    }
  }
}
