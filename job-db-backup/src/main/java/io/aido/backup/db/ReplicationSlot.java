package io.aido.backup.db;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.wal.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The physical replication slot {@code wal-archive} streams from: created on first use, refused
 * when it cannot serve (a logical slot, WAL lost, in use by another process).
 */
final class ReplicationSlot {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationSlot.class);
  private static final Duration RELEASE_WAIT = Duration.ofSeconds(15);

  private final PgConnection pg;
  private final String name;

  ReplicationSlot(PgConnection pg, String name) {
    this.pg = pg;
    this.name = name;
  }

  /**
   * Creates the slot if it does not exist, refuses if it cannot serve, and returns where it keeps
   * WAL from.
   *
   * @throws JobException (usage) for a logical slot or missing privileges; (failure) when the slot
   *     lost WAL or another process holds it
   */
  Lsn ensure() throws JobException {
    try (Connection c = pg.open("postgres")) {
      SlotState s = createIfMissing(c);
      checkServes(s);
      s = awaitRelease(c, s);
      if ("unreserved".equals(s.walStatus())) {
        LOG.warn(
            "slot '{}' is about to lose WAL (wal_status unreserved): archive more often or raise"
                + " max_slot_wal_keep_size",
            name);
      }
      return s.restartLsn();
    } catch (SQLException e) {
      throw refused(e);
    }
  }

  private SlotState createIfMissing(Connection c) throws SQLException, JobException {
    Optional<SlotState> state = SlotState.read(c, name);
    if (state.isEmpty()) {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
        ps.setString(1, name);
        ps.execute();
      }
      LOG.info("created physical replication slot '{}' on '{}'", name, pg.server());
      state = SlotState.read(c, name);
    }
    return state.orElseThrow(
        () -> JobException.failed("slot '" + name + "' vanished after creation", null));
  }

  private void checkServes(SlotState s) throws JobException {
    if (!s.type().equals("physical")) {
      throw JobException.badInput(
          "replication slot '"
              + name
              + "' on '"
              + pg.server()
              + "' is a "
              + s.type()
              + " slot; name a physical one with --slot");
    }
    if ("lost".equals(s.walStatus()) || s.restartLsn() == null) {
      throw JobException.failed(
          "replication slot '"
              + name
              + "' on '"
              + pg.server()
              + "' has lost WAL that was never archived (max_slot_wal_keep_size was exceeded):"
              + " point-in-time recovery is impossible across that stretch. Drop the slot"
              + " (SELECT pg_drop_replication_slot('"
              + name
              + "')), run wal-archive again, and take a new base-backup",
          null);
    }
  }

  /**
   * A run killed a moment ago leaves its walsender until the server notices the broken connection:
   * gives it a little time before calling the slot busy.
   */
  private SlotState awaitRelease(Connection c, SlotState s) throws SQLException, JobException {
    long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
    while (s.activePid() != null && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      s = SlotState.read(c, name).orElse(s);
    }
    if (s.activePid() != null) {
      throw JobException.failed(
          "replication slot '"
              + name
              + "' on '"
              + pg.server()
              + "' is in use by server process "
              + s.activePid()
              + " (another wal-archive still running?); nothing was archived",
          null);
    }
    return s;
  }

  private JobException refused(SQLException e) {
    if ("42501".equals(e.getSQLState())) {
      return JobException.badInput(
          "user '"
              + pg.user()
              + "' may not create replication slot '"
              + name
              + "': "
              + PgErrors.firstLine(e.getMessage()));
    }
    if ("53400".equals(e.getSQLState())) {
      return JobException.badInput(
          "unable to create replication slot '"
              + name
              + "' on '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage())
              + " (raise max_replication_slots)");
    }
    return PgErrors.onConnect(e, pg, "postgres");
  }

  /** A row of {@code pg_replication_slots}. */
  private record SlotState(String type, Lsn restartLsn, String walStatus, Integer activePid) {
    static Optional<SlotState> read(Connection c, String name) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT slot_type, restart_lsn::text, wal_status, active_pid"
                  + " FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          String restart = rs.getString(2);
          int pid = rs.getInt(4);
          boolean noPid = rs.wasNull();
          return Optional.of(
              new SlotState(
                  rs.getString(1),
                  restart == null ? null : Lsn.parse(restart),
                  rs.getString(3),
                  noPid ? null : pid));
        }
      }
    }
  }
}
