package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.pitr.DataDirectory;
import io.aido.backup.postgres.pitr.PgCtl;
import io.aido.backup.postgres.pitr.PitrPlan;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.WalArchive;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The drill's {@code pitr} step: the point-in-time restore of {@code restore-pitr} ({@link
 * PitrPlan}, {@link DataDirectory}, the archived WAL, {@link PgCtl}) into a scratch data directory,
 * started on a scratch port with its socket in the scratch directory, and asked where replay ended
 * ({@code pg_last_xact_replay_timestamp()}): that moment is the recovery point. The server is
 * stopped and the directory removed whatever happened.
 *
 * <p>The restored server listens on no TCP address, does not archive, and accepts local socket
 * connections without a password ({@code local all all trust} is put first in its {@code
 * pg_hba.conf}): its socket is in the drill's own directory, and the check needs no password of the
 * production cluster.
 *
 * <p>Restrictions: pg_ctl refuses root, so the step runs as the PostgreSQL OS user (or is skipped);
 * the server binaries ({@code PG_BIN_DIR}) must be of the backup's major version.
 */
final class PitrDrill {
  static final String COMPONENT = "pitr";

  private final Repository repo;
  private final BlobStore store;
  private final KeyEncryptionKey kek;
  private final PgTools tools;
  private final Path scratchRoot;
  private final int port;
  private final String user;
  private final Duration timeout;
  private final Clock clock;
  private final PrintStream out;

  PitrDrill(
      Repository repo,
      BlobStore store,
      KeyEncryptionKey kek,
      PgTools tools,
      Path scratchRoot,
      int port,
      String user,
      Duration timeout,
      Clock clock,
      PrintStream out) {
    this.repo = repo;
    this.store = store;
    this.kek = kek;
    this.tools = tools;
    this.scratchRoot = scratchRoot;
    this.port = port;
    this.user = user;
    this.timeout = timeout;
    this.clock = clock;
    this.out = out;
  }

  DrillStep run(PitrPlan.Target target, String baseId) {
    DrillStep.Log log = new DrillStep.Log(COMPONENT);
    List<BackupRecord> bases;
    try {
      bases = repo.catalog().list(BackupKind.DB_BASE);
    } catch (IOException e) {
      log.error("unable to list the base backups: " + e.getMessage());
      return log.result();
    }
    if (bases.isEmpty() && baseId == null) {
      return DrillStep.Log.skipped(COMPONENT, "no base backup in the repository");
    }
    if (PgCtl.runningAsRoot()) {
      log.error(
          "pg_ctl refuses to run as root: run the drill as the PostgreSQL OS user, or give"
              + " --skip pitr");
      return log.result();
    }
    WalArchive archive = new WalArchive(store, repo.pipeline());
    PitrPlan plan;
    try {
      plan = PitrPlan.make(target, baseId, bases, PitrPlan.Archive.of(archive));
    } catch (JobException e) {
      log.problem("no point-in-time restore to " + target.describe() + ": " + e.getMessage());
      return log.result();
    } catch (IOException e) {
      log.error("unable to read the WAL archive: " + e.getMessage());
      return log.result();
    }
    log.backup(plan.base().id().value());
    Path dir;
    try {
      Files.createDirectories(scratchRoot);
      dir = Files.createTempDirectory(scratchRoot, "pitr-");
    } catch (IOException e) {
      log.error("unable to create a scratch directory in '" + scratchRoot + "': " + e.getMessage());
      return log.result();
    }
    Path pgdata = dir.resolve("data");
    PgCtl ctl = new PgCtl(tools.command("pg_ctl"), pgdata);
    try {
      restoreAndCheck(plan, dir, pgdata, ctl, log);
    } finally {
      cleanup(dir, ctl, log);
    }
    DrillStep step = log.result();
    out.printf("pitr: %s%n", step.status().name().toLowerCase(java.util.Locale.ROOT));
    return step;
  }

  private void restoreAndCheck(PitrPlan plan, Path dir, Path pgdata, PgCtl ctl, DrillStep.Log log) {
    out.printf(
        "pitr: restoring base backup %s and %d WAL segment(s) up to %s into '%s'%n",
        plan.base().id(), plan.wal().size(), plan.target().describe(), pgdata);
    Instant t0 = clock.instant();
    if (!restoreFiles(plan, dir, pgdata, log)) {
      return;
    }
    out.printf("pitr: starting the restored server on port %d; it replays the WAL%n", port);
    try {
      ctl.start(port, dir.toString(), timeout);
    } catch (IOException e) {
      log.error("unable to start the restored server: " + e.getMessage());
      return;
    }
    PgConnection pg = PgConnection.of(dir.toString(), port, user, null);
    PgCtl.Ended ended;
    try {
      ended = ctl.awaitRecovery(pg, clock, timeout);
    } catch (JobException e) {
      log.problem("recovery did not end: " + e.getMessage());
      return;
    }
    log.restored(Duration.between(t0, clock.instant()));
    Instant replayed;
    try {
      replayed = replayEnded(pg);
    } catch (SQLException e) {
      log.error("unable to ask the restored server where replay ended: " + e.getMessage());
      return;
    }
    checkRecoveryPoint(plan, ended, replayed, log);
  }

  /**
   * Unpacks the base backup into {@code pgdata}, fetches its WAL into {@code dir/wal} and writes
   * the recovery settings; false after logging why it could not.
   */
  private boolean restoreFiles(PitrPlan plan, Path dir, Path pgdata, DrillStep.Log log) {
    BackupRecord base = plan.base();
    DataDirectory data = new DataDirectory(pgdata);
    Path wal = dir.resolve("wal");
    try {
      BackupReader reader = repo.reader(base, kek);
      reader.checkStoredParts();
      PartRecord part =
          base.part(plan.facts().basePart())
              .orElseThrow(
                  () -> new IOException("its record names no part " + plan.facts().basePart()));
      data.create();
      data.unpack(base.id(), () -> reader.openPart(part));
      fetchWal(plan, wal);
      data.writeRecovery(plan.recoverySettings(wal, "promote"));
      isolate(pgdata);
      return true;
    } catch (PartReadException e) {
      log.problem("base backup " + base.id() + ": " + e.getMessage());
    } catch (JobException e) {
      log.problem("base backup " + base.id() + ": " + e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      log.problem("unable to restore base backup " + base.id() + " or its WAL: " + e.getMessage());
    }
    return false;
  }

  private void fetchWal(PitrPlan plan, Path wal) throws IOException, GeneralSecurityException {
    Files.createDirectories(wal);
    Map<String, DataKey> keys = WalArchive.keyCache();
    int fetched = 0;
    for (ArchivedWal w : plan.wal()) {
      new WalArchive(store, repo.pipeline()).fetch(w, kek, wal.resolve(w.segment().name()), keys);
      if (++fetched % 64 == 0) {
        out.printf("pitr: fetched %d of %d WAL segment(s)%n", fetched, plan.wal().size());
      }
    }
  }

  /** Where replay ended: {@code pg_last_xact_replay_timestamp()}, null when nothing replayed. */
  private static Instant replayEnded(PgConnection pg) throws SQLException {
    try (Connection c = pg.open("postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_last_xact_replay_timestamp()")) {
      rs.next();
      Timestamp ts = rs.getTimestamp(1);
      return ts == null ? null : ts.toInstant();
    }
  }

  /** Records the recovery point (the base backup's end when nothing replayed) and checks it. */
  private static void checkRecoveryPoint(
      PitrPlan plan, PgCtl.Ended ended, Instant replayed, DrillStep.Log log) {
    String recovery = "recovery " + (ended == PgCtl.Ended.PAUSED ? "paused" : "promoted");
    if (replayed == null) {
      log.recoveryPoint(plan.base().finishedAt());
      log.check(
          recovery
              + "; no transaction replayed after the base backup, which is the recovery point");
    } else {
      log.recoveryPoint(replayed);
      log.check(recovery + "; pg_last_xact_replay_timestamp() = " + replayed);
    }
    if (plan.target().time() != null
        && replayed != null
        && replayed.isAfter(plan.target().time())) {
      log.problem("replay went past the target " + plan.target().time() + " to " + replayed);
    }
  }

  /**
   * Keeps the restored server to itself: no TCP listener, no archiving (the production cluster's
   * archive_command must not run on a copy), local socket connections trusted.
   */
  private static void isolate(Path pgdata) throws IOException {
    Files.writeString(
        pgdata.resolve("postgresql.auto.conf"),
        "# aido drill: a scratch copy\nlisten_addresses = ''\narchive_mode = 'off'\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Path hba = pgdata.resolve("pg_hba.conf");
    String old = Files.exists(hba) ? Files.readString(hba, StandardCharsets.UTF_8) : "";
    Files.writeString(
        hba,
        "# aido drill: the scratch server's socket is in the drill's own directory\n"
            + "local all all trust\n"
            + old,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  private void cleanup(Path dir, PgCtl ctl, DrillStep.Log log) {
    try {
      ctl.stop(Duration.ofMinutes(2));
    } catch (IOException e) {
      log.leftover("the restored server on port " + port + " still runs: " + e.getMessage());
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log.leftover("scratch directory '" + dir + "': " + e.getMessage());
    }
  }
}
