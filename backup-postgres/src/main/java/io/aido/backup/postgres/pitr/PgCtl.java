package io.aido.backup.postgres.pitr;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.ToolProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a restored data directory with {@code pg_ctl} and waits until recovery has ended.
 *
 * <p>Restrictions: pg_ctl refuses to run as root ({@link #runningAsRoot}); the server listens on
 * the given port, and on a unix socket in the given directory when the host is one.
 */
public final class PgCtl {
  private static final Logger LOG = LoggerFactory.getLogger(PgCtl.class);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);
  private final String command;
  private final Path pgdata;
  private final Path log;

  /**
   * @param command the {@code pg_ctl} to run
   * @param pgdata the data directory
   */
  public PgCtl(String command, Path pgdata) {
    this.command = command;
    this.pgdata = pgdata;
    this.log = pgdata.resolveSibling(pgdata.getFileName() + "-recovery.log");
  }

  /** The server log, beside the data directory. */
  public Path log() {
    return log;
  }

  /** Whether this JVM runs as root, whom pg_ctl refuses. */
  public static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * The server options for {@code pg_ctl -o}: the port, and the socket directory when {@code host}
   * is one. pg_ctl hands them to a shell, so the directory is single-quoted.
   */
  static String serverOptions(int port, String host) {
    String options = "-p " + port;
    if (host.startsWith("/")) {
      options += " -k '" + host.replace("'", "'\\''") + "'";
    }
    return options;
  }

  /**
   * {@code pg_ctl start -w}: returns once the server runs. pg_ctl waits until the server runs, so a
   * port taken by another server fails here instead of that server being polled.
   *
   * @throws IOException if pg_ctl fails; the message holds the end of the server log
   */
  public void start(int port, String host, Duration timeout) throws IOException {
    try (ToolProcess ctl =
        ToolProcess.start(
            "pg_ctl start",
            List.of(
                command,
                "-D",
                pgdata.toString(),
                "-l",
                log.toString(),
                "-o",
                serverOptions(port, host),
                "-w",
                "-t",
                Long.toString(Math.max(1, timeout.toSeconds())),
                "start"),
            Map.of())) {
      ctl.awaitSuccess();
    } catch (IOException e) {
      throw new IOException(
          e.getMessage()
              + (Files.exists(log) ? " (server log '" + log + "': " + logTail() + ")" : ""),
          e);
    }
  }

  /**
   * {@code pg_ctl stop -m fast -w}: returns once the server has stopped; a server that does not run
   * is no failure.
   *
   * @throws IOException if pg_ctl fails on a running server
   */
  public void stop(Duration timeout) throws IOException {
    if (!Files.exists(pgdata.resolve("postmaster.pid"))) {
      return;
    }
    try (ToolProcess ctl =
        ToolProcess.start(
            "pg_ctl stop",
            List.of(
                command,
                "-D",
                pgdata.toString(),
                "-m",
                "fast",
                "-w",
                "-t",
                Long.toString(Math.max(1, timeout.toSeconds())),
                "stop"),
            Map.of())) {
      ctl.awaitSuccess();
    }
  }

  /** How recovery ended. */
  public enum Ended {
    PROMOTED,
    PAUSED
  }

  /**
   * Polls the server until it has promoted or paused at the target.
   *
   * @throws JobException if the server stops, or recovery has not ended by {@code timeout}
   */
  public Ended awaitRecovery(PgConnection pg, Clock clock, Duration timeout) throws JobException {
    Instant deadline = clock.instant().plus(timeout);
    Instant nextProgress = clock.instant().plus(PROGRESS_EVERY);
    String last = "not reachable yet";
    while (clock.instant().isBefore(deadline)) {
      try (Connection c = pg.open("postgres");
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT pg_is_in_recovery(), pg_is_in_recovery() AND"
                      + " pg_get_wal_replay_pause_state() <> 'not paused',"
                      + " pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp()")) {
        rs.next();
        boolean inRecovery = rs.getBoolean(1);
        boolean paused = rs.getBoolean(2);
        if (!inRecovery || paused) {
          return inRecovery ? Ended.PAUSED : Ended.PROMOTED;
        }
        last = "still in recovery";
        if (!clock.instant().isBefore(nextProgress)) {
          // a day of WAL replays for many minutes: show it is alive and how far it got
          LOG.info(
              "recovery of '{}' still replaying: WAL replayed up to {}, last transaction of {}",
              pgdata,
              rs.getString(3),
              rs.getTimestamp(4) == null ? "none yet" : rs.getTimestamp(4).toInstant());
          nextProgress = clock.instant().plus(PROGRESS_EVERY);
        }
      } catch (SQLException e) {
        last = e.getMessage();
        if (!Files.exists(pgdata.resolve("postmaster.pid"))) {
          throw JobException.failed(
              "the restored server stopped during recovery (see '" + log + "'): " + logTail(), e);
        }
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw JobException.failed("interrupted while waiting for recovery", e);
      }
    }
    throw JobException.failed(
        "recovery did not reach the target within "
            + timeout
            + ": "
            + last
            + "; the server on '"
            + pgdata
            + "' still runs",
        null);
  }

  /** The server log's last three lines, joined. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
