package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The temporary name a parallel restore builds a new database under ({@code
 * <target>_restoring_<pid>}) before renaming it into place, so that a restore that fails or is
 * killed never leaves a half-restored database under the name users connect to.
 *
 * <p>Guarantees: while claimed, the name is held by a session-level advisory lock on the server's
 * maintenance database; the server releases it when this process's connection ends, also when the
 * process is killed. {@link #claim} first drops every {@code <target>_restoring_*} database whose
 * lock is free: the leftovers of killed restores of the same target.
 *
 * <p>Restriction: leftovers are found by the target's name; one of a killed restore to another
 * target stays until a restore to that target runs (or it is dropped by hand).
 */
public final class RestoringDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestoringDatabase.class);
  private static final int LOCK_CLASS = 0x61696430;
  private static final int MAX_NAME_BYTES = 63;
  private static final String INFIX = "_restoring_";

  private final Connection session;
  private final String name;

  private RestoringDatabase(Connection session, String name) {
    this.session = session;
    this.name = name;
  }

  /**
   * Drops the leftovers of killed restores of {@code target} and claims a temporary name for it.
   *
   * @throws JobException exit code 2 when {@code target} is too long to carry the suffix (the
   *     server would truncate it), 1 when the server cannot be reached or refuses
   */
  public static RestoringDatabase claim(PgConnection pg, String target) throws JobException {
    String name = target + INFIX + ProcessHandle.current().pid();
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw JobException.badInput(
          "unable to restore into database '"
              + target
              + "' with --jobs above 1: its temporary name '"
              + name
              + "' is longer than "
              + MAX_NAME_BYTES
              + " bytes; choose a shorter name or restore with --jobs 1");
    }
    Connection session = null;
    try {
      session = Databases.openMaintenance(pg);
      for (String leftover : abandoned(session, target)) {
        LOG.warn(
            "dropping database '{}' left behind by a restore of '{}' that was killed",
            leftover,
            target);
        Databases.drop(pg, leftover);
        unlock(session, leftover);
      }
      try (PreparedStatement ps =
          session.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?))")) {
        ps.setInt(1, LOCK_CLASS);
        ps.setString(2, name);
        ps.execute();
      }
      return new RestoringDatabase(session, name);
    } catch (SQLException e) {
      closeQuietly(session);
      throw JobException.failed(
          "unable to prepare a temporary database for '"
              + target
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    } catch (JobException | RuntimeException e) {
      closeQuietly(session);
      throw e;
    }
  }

  /** Leftover names whose advisory lock this session now holds (so none is in use). */
  private static List<String> abandoned(Connection session, String target) throws SQLException {
    List<String> candidates = new ArrayList<>();
    try (PreparedStatement ps =
        session.prepareStatement(
            "SELECT datname FROM pg_database WHERE starts_with(datname, ?) ORDER BY datname")) {
      ps.setString(1, target + INFIX);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String suffix = rs.getString(1).substring(target.length() + INFIX.length());
          if (suffix.matches("[0-9]+")) {
            candidates.add(rs.getString(1));
          }
        }
      }
    }
    List<String> free = new ArrayList<>();
    for (String candidate : candidates) {
      try (PreparedStatement ps =
          session.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
        ps.setInt(1, LOCK_CLASS);
        ps.setString(2, candidate);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            free.add(candidate);
          }
        }
      }
    }
    return free;
  }

  private static void unlock(Connection session, String name) throws SQLException {
    try (PreparedStatement ps =
        session.prepareStatement("SELECT pg_advisory_unlock(?, hashtext(?))")) {
      ps.setInt(1, LOCK_CLASS);
      ps.setString(2, name);
      ps.execute();
    }
  }

  /** The temporary database's name. */
  public String name() {
    return name;
  }

  /** Releases the name (by closing the session that holds its lock). */
  @Override
  public void close() {
    closeQuietly(session);
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("closing the session that held a temporary database name: {}", e.getMessage());
    }
  }
}
