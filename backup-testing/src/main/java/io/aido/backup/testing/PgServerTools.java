package io.aido.backup.testing;

import io.aido.backup.testing.Processes.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The server tools of one {@link PgCluster}'s data directory: {@code pg_ctl} start and stop, the
 * postmaster's process, {@code psql} over the unix socket, and the server log. Run as the {@code
 * postgres} OS user when the tests run as root.
 */
final class PgServerTools {
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

  private final Path binDir;
  private final Path dataDir;
  private final Path socketDir;
  private final Path logFile;

  PgServerTools(Path binDir, Path dataDir, Path socketDir, Path logFile) {
    this.binDir = binDir;
    this.dataDir = dataDir;
    this.socketDir = socketDir;
    this.logFile = logFile;
  }

  /**
   * {@code pg_ctl start} on {@code port}, waiting until the server accepts connections.
   *
   * @throws IllegalStateException with the server log's tail if it does not start
   */
  void start(int port) {
    Result result =
        runTool(
            List.of(
                bin("pg_ctl"),
                "-D",
                dataDir.toString(),
                "-l",
                logFile.toString(),
                "-o",
                "-p " + port,
                "-w",
                "-t",
                "60",
                "start"));
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "unable to start PostgreSQL in '"
              + dataDir
              + "': "
              + result.stderr().strip()
              + "\nserver log:\n"
              + tail(serverLog(), 2000));
    }
  }

  /**
   * {@link #start} on a free port, trying another when one was taken between the check and the
   * bind; returns the port.
   */
  int startOnFreePort() {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = FreePort.find();
      try {
        start(port);
        return port;
      } catch (IllegalStateException e) {
        last = e;
        if (!serverLog().contains("could not bind") && !serverLog().contains("in use")) {
          throw e;
        }
      }
    }
    throw last;
  }

  /** {@code pg_ctl stop} in {@code mode} ({@code fast}, {@code immediate}), waiting. */
  Result stop(String mode) {
    return runTool(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", mode, "-w", "stop"));
  }

  /** SIGKILL to the postmaster and every server process; returns once the postmaster is gone. */
  void kill() {
    postmasterPid().flatMap(ProcessHandle::of).ifPresent(Processes::killTree);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (isRunning()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("PostgreSQL in '" + dataDir + "' survived SIGKILL");
      }
      sleepBriefly();
    }
  }

  /** Whether the postmaster process is alive. */
  boolean isRunning() {
    return postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive).isPresent();
  }

  /**
   * SQL through {@code psql} over the unix socket as the superuser, stopping at the first error.
   *
   * @return the unaligned, tuples-only output, stripped
   * @throws IllegalStateException with psql's error message if any statement fails
   */
  String psql(int port, String db, String sql) {
    Result result =
        Processes.run(
            List.of(
                bin("psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                socketDir.toString(),
                "-p",
                Integer.toString(port),
                "-U",
                PgCluster.SUPERUSER,
                "-d",
                db,
                "-f",
                "-"),
            Map.of("PGCONNECT_TIMEOUT", "10"),
            sql,
            TOOL_TIMEOUT);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "psql on database '" + db + "' failed: " + result.stderr().strip());
    }
    return result.stdout().strip();
  }

  /** The server log so far (empty if there is none yet). */
  String serverLog() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unable to read server log '" + logFile + "': " + e + ")";
    }
  }

  private Optional<Long> postmasterPid() {
    Path pidFile = dataDir.resolve("postmaster.pid");
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private Result runTool(List<String> command) {
    return Processes.run(Processes.asUser(PgDataDirs.OS_USER, command), Map.of(), TOOL_TIMEOUT);
  }

  private String bin(String tool) {
    return binDir.resolve(tool).toString();
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for PostgreSQL to die", e);
    }
  }

  private static String tail(String s, int max) {
    return s.length() <= max ? s : "..." + s.substring(s.length() - max);
  }
}
