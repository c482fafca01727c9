package io.aido.backup.db;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.wal.WalHeader;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.ToolProcess;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore-pitr}: rebuilds the cluster as it was at a moment, from the newest base backup
 * before it and the archived WAL after that backup.
 *
 * <p>Order: pick the base backup; check from the archive's object names that the WAL from the
 * backup's end to the target is archived without a gap (and, for a time, that the archive reaches
 * past it); check the data directory is empty; write the audit event; unpack the base backup; fetch
 * every needed segment (each one's size and SHA-256 checked); write the recovery settings ({@code
 * restore_command} reading the fetched segments, the target, {@code recovery_target_action}, {@code
 * recovery.signal}). Nothing is started before all of that succeeded; then it prints how to start
 * the server, or with {@code --start} starts it and waits until recovery reached the target.
 */
@Command(
    name = "restore-pitr",
    description = {
      "Restore the cluster to a point in time: unpack the newest db-base backup before the target"
          + " into an empty data directory, fetch every archived WAL segment recovery needs"
          + " (checking the chain has no gap first), and write the recovery settings.",
      "Then start the server (or pass --start): it replays the WAL up to the target and promotes."
    })
public final class RestorePitrCommand extends DbCommand {

  @Mixin private RepositoryOptions repository;

  @Option(
      names = "--target-time",
      paramLabel = "TIME",
      description = "Restore to this moment (ISO-8601 with offset, like 2026-11-24T14:03:00Z).")
  private String time;

  @Option(
      names = "--target-lsn",
      paramLabel = "LSN",
      description = "Restore up to this WAL position (like 0/16B3748).")
  private String lsn;

  @Option(names = "--latest", description = "Restore everything archived.")
  private boolean latest;

  @Option(
      names = "--pgdata",
      paramLabel = "DIR",
      description = "The data directory to restore into; must be empty or absent.")
  private Path pgdata;

  @Option(
      names = "--wal-dir",
      paramLabel = "DIR",
      description =
          "Where the fetched WAL segments go (default <pgdata>/aido_restore_wal); remove it once"
              + " the server has promoted.")
  private Path walDir;

  @Option(
      names = "--backup-id",
      paramLabel = "ID",
      description = "Use this base backup instead of the newest one before the target.")
  private String backupId;

  @Option(
      names = "--target-action",
      paramLabel = "ACTION",
      defaultValue = "promote",
      description =
          "What the server does at the target: promote (default), pause or shutdown"
              + " (recovery_target_action).")
  private String targetAction;

  @Option(
      names = "--start",
      description =
          "Start the server with pg_ctl (PG_BIN_DIR) on PGPORT and wait until recovery reached"
              + " the target; run as the PostgreSQL OS user (pg_ctl refuses root), and PGHOST must"
              + " reach this machine. Not with --target-action shutdown.")
  private boolean start;

  @Option(
      names = "--start-timeout",
      paramLabel = "DURATION",
      defaultValue = "PT1H",
      description = "With --start: how long recovery may take (default ${DEFAULT-VALUE}).")
  private Duration startTimeout;

  /** Microseconds at most, as PostgreSQL reads a timestamp. */
  private static final DateTimeFormatter PG_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);

  private Instant targetTime;
  private Lsn targetLsn;

  @Override
  protected void validateCommand(ConfigProblems problems) {
    int targets = (time != null ? 1 : 0) + (lsn != null ? 1 : 0) + (latest ? 1 : 0);
    if (targets != 1) {
      problems.add(
          "--target-time, --target-lsn or --latest",
          targets == 0
              ? "not set (the moment to restore to)"
              : "give only one of them (the moment to restore to)");
    }
    if (time != null) {
      try {
        targetTime = OffsetDateTime.parse(time.strip()).toInstant();
      } catch (DateTimeParseException e) {
        problems.add(
            EnvironmentDefaults.describe("--target-time"),
            "'" + time + "' is not a time like 2026-11-24T14:03:00Z");
      }
    }
    if (lsn != null) {
      try {
        targetLsn = Lsn.parse(lsn.strip());
      } catch (IllegalArgumentException e) {
        problems.add(EnvironmentDefaults.describe("--target-lsn"), e.getMessage());
      }
    }
    if (pgdata == null) {
      problems.add(EnvironmentDefaults.describe("--pgdata"), "not set (the data directory)");
    }
    if (!List.of("promote", "pause", "shutdown").contains(targetAction)) {
      problems.add(
          EnvironmentDefaults.describe("--target-action"),
          "'" + targetAction + "' is not promote, pause or shutdown");
    }
    if (start && targetAction.equals("shutdown")) {
      problems.add(
          EnvironmentDefaults.describe("--start"),
          "with --target-action shutdown the server stops at the target, so there is nothing to"
              + " wait for; leave out --start and start the server yourself");
    }
    if (backupId != null && !BackupId.isValid(backupId)) {
      problems.add(
          EnvironmentDefaults.describe("--backup-id"),
          "'" + backupId + "' is not a backup id like 20261124T020000Z-a1b2c3");
    }
  }

  @Override
  protected int run() throws Exception {
    if (start && runningAsRoot()) {
      // pg_ctl refuses root, and a data directory unpacked by root is not the server's to start:
      // found out after the restore, the whole restore would have been for nothing
      throw JobException.badInput(
          "--start: pg_ctl cannot run as root; run restore-pitr as the PostgreSQL OS user (the"
              + " owner of the data directory), or leave out --start and start the server as that"
              + " user; nothing was restored");
    }
    BlobStore store = repository.openStore();
    Repository repo = openRepositoryToRead(store);
    BackupRecord base = chooseBase(repo);
    BaseBackupFacts facts = factsOf(base);
    WalArchive archive = new WalArchive(store, repo.pipeline());
    List<ArchivedWal> needed = neededWal(archive, base, facts);
    checkEmpty(pgdata);
    Path wal = walDir != null ? walDir : pgdata.resolve("aido_restore_wal");

    KeyEncryptionKey kek = repository.kek();
    BackupReader reader =
        openBackup(repo, base, kek, "restore base backup", "nothing was restored");
    reader.checkStoredParts();
    Map<String, String> details = new LinkedHashMap<>();
    details.put("pgdata", pgdata.toString());
    details.put("target", describeTarget());
    details.put("walSegments", Integer.toString(needed.size()));
    try {
      new AuditLog(store, clock(), jobName(), AuditLog.actor(env()))
          .record(AuditAction.RESTORE, base.kind(), base.id(), details);
    } catch (IOException e) {
      throw JobException.failed(
          "unable to restore base backup "
              + base.id()
              + ": unable to write its audit event: "
              + e.getMessage()
              + "; nothing was restored",
          e);
    }

    Files.createDirectories(pgdata);
    try {
      Files.setPosixFilePermissions(pgdata, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: PostgreSQL does not check the mode there either
    }
    unpack(reader, base, facts);
    Files.createDirectories(wal);
    Map<String, DataKey> keys = WalArchive.keyCache();
    for (ArchivedWal w : needed) {
      try {
        archive.fetch(w, kek, wal.resolve(w.segment().name()), keys);
      } catch (IOException | GeneralSecurityException e) {
        throw JobException.failed(
            "unable to fetch archived WAL '"
                + w.key()
                + "': "
                + e.getMessage()
                + "; the data directory '"
                + pgdata
                + "' is incomplete, empty it before trying again",
            e);
      }
    }
    writeRecoverySettings(wal, facts);
    Lsn walEnd = needed.isEmpty() ? facts.stopLsn() : needed.get(needed.size() - 1).end();
    out()
        .printf(
            "restored base backup %s (WAL %s to %s, timeline %d) into '%s' and fetched %d WAL"
                + " segment(s) up to %s into '%s'; recovery target: %s, then %s%n",
            base.id(),
            facts.startLsn(),
            facts.stopLsn(),
            facts.timeline(),
            pgdata,
            needed.size(),
            walEnd,
            wal,
            describeTarget(),
            targetAction);
    if (!start) {
      out()
          .printf(
              "start the server on this data directory (pg_ctl -D %s start, or scale the"
                  + " database back up): it replays the WAL up to the target and then %ss;"
                  + " remove '%s' once it has%n",
              pgdata, targetAction, wal);
      return ExitCodes.DONE;
    }
    startAndWait(tools());
    return ExitCodes.DONE;
  }

  /** The base backup's facts; a record without them cannot be restored from. */
  private static BaseBackupFacts factsOf(BackupRecord r) throws JobException {
    try {
      return BaseBackupFacts.of(r);
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "base backup " + r.id() + " has no readable WAL range in its record: " + e.getMessage(),
          e);
    }
  }

  private BackupRecord chooseBase(Repository repo) throws IOException, JobException {
    List<BackupRecord> all = repo.catalog().list(BackupKind.DB_BASE);
    if (backupId != null) {
      return all.stream()
          .filter(r -> r.id().value().equals(backupId))
          .findFirst()
          .orElseThrow(
              () ->
                  JobException.badInput(
                      "unable to restore missing base backup " + backupId + ": no such db-base"));
    }
    BackupRecord chosen = null;
    for (BackupRecord r : all) {
      boolean before =
          targetTime != null
              ? !r.finishedAt().isAfter(targetTime)
              : targetLsn == null || !factsOf(r).stopLsn().isAfter(targetLsn);
      if (before) {
        chosen = r;
      }
    }
    if (chosen == null) {
      throw JobException.badInput(
          "unable to restore to "
              + describeTarget()
              + ": "
              + (all.isEmpty()
                  ? "the repository holds no db-base backup (run base-backup)"
                  : "the oldest base backup, " + all.get(0).id() + ", ended after it"));
    }
    return chosen;
  }

  /** The archived WAL recovery reads, after checking the chain reaches the target. */
  private List<ArchivedWal> neededWal(WalArchive archive, BackupRecord base, BaseBackupFacts facts)
      throws IOException, JobException {
    WalChain chain = WalChain.of(archive.list(facts.walSegmentSize()));
    WalSegment first =
        WalSegment.containing(facts.timeline(), facts.stopLsn(), facts.walSegmentSize());
    List<ArchivedWal> run = chain.runFrom(first);
    Lsn reach = run.isEmpty() ? facts.stopLsn() : run.get(run.size() - 1).end();
    Lsn archiveEnd = chain.end(facts.timeline()).orElse(facts.stopLsn());
    String prefix = "unable to restore to " + describeTarget() + " from base backup " + base.id();
    if (targetLsn != null) {
      if (reach.isBefore(targetLsn)) {
        throw JobException.failed(
            prefix
                + ": the archived WAL reaches only "
                + reach
                + (archiveEnd.isAfter(reach)
                    ? " (point-in-time recovery is impossible between "
                        + reach
                        + " and "
                        + nextAfter(chain, facts.timeline(), reach)
                        + ")"
                    : " (run wal-archive first)")
                + "; nothing was restored",
            null);
      }
      return run.stream().filter(w -> w.segment().start().isBefore(targetLsn)).toList();
    }
    if (archiveEnd.isAfter(reach)) {
      throw JobException.failed(
          prefix
              + ": point-in-time recovery is impossible between "
              + reach
              + " and "
              + nextAfter(chain, facts.timeline(), reach)
              + " (WAL missing from the archive), so recovery would stop before the target;"
              + " nothing was restored",
          null);
    }
    if (run.isEmpty() && targetTime != null) {
      throw JobException.failed(
          prefix + ": no WAL after the base backup is archived (run wal-archive first)", null);
    }
    if (targetTime != null) {
      WalHeader last = archive.header(run.get(run.size() - 1).key());
      if (last.archivedAt().isBefore(targetTime)) {
        throw JobException.failed(
            prefix
                + ": the newest archived WAL was stored at "
                + last.archivedAt()
                + ", before the target, so the archive may not reach it; run wal-archive and"
                + " try again; nothing was restored",
            null);
      }
    }
    return run;
  }

  private static Lsn nextAfter(WalChain chain, int timeline, Lsn reach) {
    return chain.segments(timeline).stream()
        .map(w -> w.segment().start())
        .filter(s -> s.isAfter(reach))
        .findFirst()
        .orElse(reach);
  }

  private static void checkEmpty(Path dir) throws JobException, IOException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw JobException.badInput("--pgdata '" + dir + "' is not a directory");
      }
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw JobException.badInput(
              "--pgdata '"
                  + dir
                  + "' is not empty: restore-pitr never overwrites a data directory; empty it or"
                  + " name another; nothing was restored");
        }
      }
    }
  }

  private void unpack(BackupReader reader, BackupRecord base, BaseBackupFacts facts)
      throws JobException {
    PartRecord part =
        base.part(facts.basePart())
            .orElseThrow(
                () ->
                    JobException.failed(
                        "base backup " + base.id() + " has no part " + facts.basePart(), null));
    String what = "tar extracting base backup " + base.id();
    try (ToolProcess tar =
            ToolProcess.start(
                what,
                List.of("tar", "-x", "-f", "-", "-C", pgdata.toString(), "--no-same-owner"),
                Map.of());
        InputStream in = reader.openPart(part)) {
      try (OutputStream stdin = tar.stdin()) {
        in.transferTo(stdin);
      }
      tar.awaitSuccess();
    } catch (IOException e) {
      throw JobException.failed(
          "unable to unpack base backup "
              + base.id()
              + " into '"
              + pgdata
              + "': "
              + PartReadException.withoutOutcome(e)
              + "; the data directory is incomplete, empty it before trying again",
          e);
    }
  }

  private void writeRecoverySettings(Path wal, BaseBackupFacts facts) throws IOException {
    StringBuilder conf = new StringBuilder("\n# point-in-time recovery, written by restore-pitr\n");
    conf.append("restore_command = '").append(escape("cp \"" + wal + "/%f\" \"%p\"")).append("'\n");
    if (targetTime != null) {
      conf.append("recovery_target_time = '").append(PG_TIME.format(targetTime)).append("'\n");
    } else if (targetLsn != null) {
      conf.append("recovery_target_lsn = '").append(targetLsn).append("'\n");
    }
    conf.append("recovery_target_timeline = '").append(facts.timeline()).append("'\n");
    conf.append("recovery_target_action = '").append(targetAction).append("'\n");
    Files.writeString(
        pgdata.resolve("postgresql.auto.conf"),
        conf,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.write(pgdata.resolve("recovery.signal"), new byte[0]);
    Files.deleteIfExists(pgdata.resolve("postmaster.pid"));
  }

  private static String escape(String s) {
    return s.replace("'", "''");
  }

  private String describeTarget() {
    if (targetTime != null) {
      return "time " + targetTime;
    }
    if (targetLsn != null) {
      return "WAL position " + targetLsn;
    }
    return "the end of the archived WAL";
  }

  /** Whether this JVM runs as root, whom pg_ctl refuses. */
  static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * Starts the restored server on PGPORT (and, when PGHOST is a directory, with its unix socket
   * there) and waits until it has promoted or paused at the target. pg_ctl waits until the server
   * runs, so a port taken by another server fails here instead of that server being polled.
   */
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

  private void startAndWait(PgTools tools) throws JobException {
    Path log = pgdata.resolveSibling(pgdata.getFileName() + "-recovery.log");
    String serverOptions = serverOptions(pg().port(), pg().host());
    String startYourself =
        "; the restored data directory '"
            + pgdata
            + "' is left as it is: fix the cause and start it as its owner (pg_ctl -D "
            + pgdata
            + " start)";
    try (ToolProcess ctl =
        ToolProcess.start(
            "pg_ctl start",
            List.of(
                tools.command("pg_ctl"),
                "-D",
                pgdata.toString(),
                "-l",
                log.toString(),
                "-o",
                serverOptions,
                "-w",
                "-t",
                Long.toString(Math.max(1, startTimeout.toSeconds())),
                "start"),
            Map.of())) {
      ctl.awaitSuccess();
    } catch (IOException e) {
      throw JobException.failed(
          "unable to start the restored server: "
              + e.getMessage()
              + (Files.exists(log) ? " (server log '" + log + "': " + tail(log) + ")" : "")
              + startYourself,
          e);
    }
    Instant deadline = clock().instant().plus(startTimeout);
    String last = "not reachable yet";
    while (clock().instant().isBefore(deadline)) {
      try (Connection c = pg().open("postgres");
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT pg_is_in_recovery(), pg_is_in_recovery() AND"
                      + " pg_get_wal_replay_pause_state() <> 'not paused'")) {
        rs.next();
        boolean inRecovery = rs.getBoolean(1);
        boolean paused = rs.getBoolean(2);
        if (!inRecovery || paused) {
          out()
              .printf(
                  "the server on '%s' (port %d) reached %s and %s%n",
                  pgdata, pg().port(), describeTarget(), inRecovery ? "paused" : "promoted");
          return;
        }
        last = "still in recovery";
      } catch (SQLException e) {
        last = e.getMessage();
        if (!Files.exists(pgdata.resolve("postmaster.pid"))) {
          throw JobException.failed(
              "the restored server stopped during recovery (see '" + log + "'): " + tail(log), e);
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
            + startTimeout
            + ": "
            + last
            + "; the server on '"
            + pgdata
            + "' still runs",
        null);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
