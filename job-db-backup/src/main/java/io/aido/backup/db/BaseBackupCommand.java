package io.aido.backup.db;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.BackupRun;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.ByteSizes;
import io.aido.backup.core.observability.Progress;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.ToolProcess;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code base-backup}: one physical copy of the whole cluster, {@code pg_basebackup} in tar format
 * streamed through the pipeline into part {@code base.tar} of a {@code db-base} backup: the start
 * of every point-in-time recovery.
 *
 * <p>The checkpoint is fast (a spread one can hold the backup for minutes); the WAL from start to
 * stop is fetched into the tar ({@code -X fetch}), so the copy is consistent on its own; the backup
 * manifest travels inside the tar. The record's facts: {@code startLsn}, {@code stopLsn}, {@code
 * timeline}, {@code startSegment}, {@code walSegmentSize}, {@code systemIdentifier}, {@code
 * startTime} (from {@code backup_label}), {@code manifestChecksum}, {@code serverVersion} and
 * {@code pgBasebackupVersion}. Without a committed record the parts stay invisible.
 */
@Command(
    name = "base-backup",
    description = {
      "Take a physical base backup of the whole cluster with pg_basebackup (tar, fast checkpoint,"
          + " manifest kept) through compression and encryption into the repository, as kind"
          + " db-base: the starting point of restore-pitr.",
      "Needs wal_level = replica, max_wal_senders >= 1, a replication line in pg_hba.conf and a"
          + " role with REPLICATION. Connection from PGHOST, PGPORT, PGUSER and PGPASSWORD."
    })
public final class BaseBackupCommand extends DbCommand {
  private static final Logger LOG = LoggerFactory.getLogger(BaseBackupCommand.class);
  private static final String PART = "base.tar";
  private static final Pattern LABEL_START =
      Pattern.compile("START WAL LOCATION: ([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
  private static final Pattern LABEL_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");
  private static final Pattern LABEL_TIME = Pattern.compile("START TIME: ([^\\n]+)");
  private static final Pattern RANGE =
      Pattern.compile(
          "\"Timeline\":\\s*(\\d+),\\s*\"Start-LSN\":\\s*\"([0-9A-Fa-f/]+)\",\\s*\"End-LSN\":\\s*\"([0-9A-Fa-f/]+)\"");
  private static final Pattern CHECKSUM =
      Pattern.compile("\"Manifest-Checksum\":\\s*\"([0-9a-f]+)\"");

  @Mixin private RepositoryOptions repository;

  @Mixin private CompressionOptions compression = new CompressionOptions();

  @Override
  protected int run() throws Exception {
    PgTools tools = tools();
    PitrServer server = PitrServer.read(pg());
    server.checkReplicationPossible(pg().server(), pg().user());
    PgTools.ToolVersion basebackup = basebackupVersion(tools, server);
    KeyEncryptionKey kek = repository.kek();
    Repository repo =
        openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
    Source source =
        new Source(
            runOptions().clusterName().orElse(null),
            null,
            null,
            server.serverVersion(),
            Map.of("server", pg().server(), "systemIdentifier", server.systemIdentifier()));
    try (BackupRun run = beginBackup(repo, BackupKind.DB_BASE, source, kek, "base backup", "")) {
      LOG.info("base backup {} of server '{}' started", run.id(), pg().server());
      List<String> command =
          List.of(
              tools.command("pg_basebackup"),
              "-D",
              "-",
              "-Ft",
              "-X",
              "fetch",
              "-c",
              "fast",
              "--no-password",
              "-l",
              "aido-backup " + run.id());
      String what = "pg_basebackup of server '" + pg().server() + "'";
      PartRecord part;
      TarScanner tar;
      try (ToolProcess process = ToolProcess.start(what, command, pg().childEnv("replication"))) {
        tar = new TarScanner(new Progress(process.stdout(), what));
        part = run.writePart(PART, tar);
      } catch (IOException e) {
        throw run.failed(e);
      }
      BaseBackupFacts facts = facts(part.name(), tar, server, basebackup);
      BackupRecord record = run.commit(facts.toFacts());
      out()
          .printf(
              "base backup %s of server '%s': WAL %s to %s on timeline %s, %s copied, %s stored"
                  + " in %s%n",
              record.id(),
              pg().server(),
              facts.startLsn(),
              facts.stopLsn(),
              facts.timeline(),
              ByteSizes.human(record.plaintextSize()),
              ByteSizes.human(record.storedSize()),
              Elapsed.seconds(Duration.between(record.startedAt(), record.finishedAt())));
      return ExitCodes.DONE;
    }
  }

  /** pg_basebackup's version; refused if it is older than the server. */
  private PgTools.ToolVersion basebackupVersion(PgTools tools, PitrServer server)
      throws JobException {
    PgTools.ToolVersion basebackup;
    try {
      basebackup = tools.version("pg_basebackup");
    } catch (IOException e) {
      throw JobException.failed(e.getMessage(), e);
    }
    if (basebackup.major() < server.serverMajor()) {
      throw JobException.badInput(
          "pg_basebackup major version "
              + basebackup.major()
              + " is older than the server's "
              + server.serverMajor()
              + " ('"
              + pg().server()
              + "'); point PG_BIN_DIR at"
              + " PostgreSQL "
              + server.serverMajor()
              + "'s tools");
    }
    return basebackup;
  }

  private static BaseBackupFacts facts(
      String basePart, TarScanner tar, PitrServer server, PgTools.ToolVersion basebackup)
      throws JobException {
    String label = tar.backupLabel();
    String manifest = tar.manifestTail();
    if (label == null || manifest == null) {
      throw JobException.failed(
          "pg_basebackup's tar held no "
              + (label == null ? "backup_label" : "backup_manifest")
              + "; no record was written",
          null);
    }
    Matcher start = LABEL_START.matcher(label);
    Matcher timeline = LABEL_TIMELINE.matcher(label);
    Matcher range = RANGE.matcher(manifest);
    Matcher checksum = CHECKSUM.matcher(manifest);
    if (!start.find() || !timeline.find() || !range.find()) {
      throw JobException.failed(
          "unable to read the WAL range from pg_basebackup's backup_label and manifest; no record"
              + " was written",
          null);
    }
    Lsn startLsn = Lsn.parse(start.group(1));
    int tl = Integer.parseInt(timeline.group(1));
    Lsn stopLsn = Lsn.parse(range.group(3));
    Matcher time = LABEL_TIME.matcher(label);
    return new BaseBackupFacts(
        basePart,
        startLsn,
        stopLsn,
        tl,
        WalSegment.containing(tl, startLsn, server.walSegmentSize()).name(),
        server.walSegmentSize(),
        server.systemIdentifier(),
        time.find() ? time.group(1).strip() : null,
        checksum.find() ? checksum.group(1) : null,
        server.serverVersion(),
        basebackup.text());
  }
}
