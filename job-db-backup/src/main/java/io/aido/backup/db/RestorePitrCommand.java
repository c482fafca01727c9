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
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.postgres.pitr.DataDirectory;
import io.aido.backup.postgres.pitr.PgCtl;
import io.aido.backup.postgres.pitr.PitrPlan;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  private PitrPlan.Target target = PitrPlan.Target.latest();

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
        target = PitrPlan.Target.time(OffsetDateTime.parse(time.strip()).toInstant());
      } catch (DateTimeParseException e) {
        problems.add(
            EnvironmentDefaults.describe("--target-time"),
            "'" + time + "' is not a time like 2026-11-24T14:03:00Z");
      }
    }
    if (lsn != null) {
      try {
        target = PitrPlan.Target.lsn(Lsn.parse(lsn.strip()));
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
    if (start && PgCtl.runningAsRoot()) {
      // pg_ctl refuses root, and a data directory unpacked by root is not the server's to start:
      // found out after the restore, the whole restore would have been for nothing
      throw JobException.badInput(
          "--start: pg_ctl cannot run as root; run restore-pitr as the PostgreSQL OS user (the"
              + " owner of the data directory), or leave out --start and start the server as that"
              + " user; nothing was restored");
    }
    BlobStore store = repository.openStore();
    Repository repo = openRepositoryToRead(store);
    WalArchive archive = new WalArchive(store, repo.pipeline());
    PitrPlan plan =
        PitrPlan.make(
            target,
            backupId,
            repo.catalog().list(BackupKind.DB_BASE),
            PitrPlan.Archive.of(archive));
    BackupRecord base = plan.base();
    DataDirectory data = new DataDirectory(pgdata);
    data.checkEmpty();
    Path wal = walDir != null ? walDir : pgdata.resolve("aido_restore_wal");

    KeyEncryptionKey kek = repository.kek();
    BackupReader reader =
        openBackup(repo, base, kek, "restore base backup", "nothing was restored");
    reader.checkStoredParts();
    PartRecord part =
        base.part(plan.facts().basePart())
            .orElseThrow(
                () ->
                    JobException.failed(
                        "base backup " + base.id() + " has no part " + plan.facts().basePart(),
                        null));
    // the whole part is authenticated before the data directory is touched: tar would have
    // written the files before a damaged end was found
    reader.checkPart(part);
    audit(store, plan);

    data.create();
    data.unpack(base.id(), () -> reader.openPart(part));
    Files.createDirectories(wal);
    fetch(archive, plan.wal(), kek, wal);
    data.writeRecovery(plan.recoverySettings(wal, targetAction));
    out()
        .printf(
            "restored base backup %s (WAL %s to %s, timeline %d) into '%s' and fetched %d WAL"
                + " segment(s) up to %s into '%s'; recovery target: %s, then %s%n",
            base.id(),
            plan.facts().startLsn(),
            plan.facts().stopLsn(),
            plan.facts().timeline(),
            pgdata,
            plan.wal().size(),
            plan.walEnd(),
            wal,
            target.describe(),
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
    startAndWait(new PgCtl(tools().command("pg_ctl"), pgdata));
    return ExitCodes.DONE;
  }

  private void audit(BlobStore store, PitrPlan plan) throws JobException {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("pgdata", pgdata.toString());
    details.put("target", target.describe());
    details.put("walSegments", Integer.toString(plan.wal().size()));
    auditRestore(store, AuditAction.RESTORE, plan.base(), "base backup", details);
  }

  private void fetch(WalArchive archive, List<ArchivedWal> needed, KeyEncryptionKey kek, Path wal)
      throws JobException {
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
  }

  /** Starts the restored server and waits until it has promoted or paused at the target. */
  private void startAndWait(PgCtl ctl) throws JobException {
    try {
      ctl.start(pg().port(), pg().host(), startTimeout);
    } catch (IOException e) {
      throw JobException.failed(
          "unable to start the restored server: "
              + e.getMessage()
              + "; the restored data directory '"
              + pgdata
              + "' is left as it is: fix the cause and start it as its owner (pg_ctl -D "
              + pgdata
              + " start)",
          e);
    }
    PgCtl.Ended ended = ctl.awaitRecovery(pg(), clock(), startTimeout);
    out()
        .printf(
            "the server on '%s' (port %d) reached %s and %s%n",
            pgdata,
            pg().port(),
            target.describe(),
            ended == PgCtl.Ended.PAUSED ? "paused" : "promoted");
  }
}
