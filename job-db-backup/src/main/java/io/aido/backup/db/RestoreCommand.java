package io.aido.backup.db;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.BackupIdOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.postgres.Databases;
import io.aido.backup.postgres.LogicalDumpFacts;
import io.aido.backup.postgres.OverlappedRestore;
import io.aido.backup.postgres.PgRestore;
import io.aido.backup.postgres.RestoreSpool;
import io.aido.backup.postgres.RestoringDatabase;
import io.aido.backup.postgres.RowCountComparison;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore}: streams one {@code db-logical} backup into {@code pg_restore} and checks every
 * table's row count against the record.
 *
 * <p>Order: resolve the backup, unwrap its data key (a wrong key stops here), check the target
 * ({@link PgRestore#prepareTarget}), write the audit event (no audit, no restore), restore in one
 * transaction, count, print recorded next to restored counts. Exit 1 when any count differs.
 *
 * <p>With {@code --jobs} above 1 (and {@code --create}), pg_restore runs in parallel, which needs a
 * seekable file and cannot run in one transaction: the spool directory is checked for room first,
 * the dump is read, authenticated and checked into a {@link RestoreSpool} and restored from it as
 * it fills ({@link OverlappedRestore}), into a {@link RestoringDatabase} renamed into place only
 * when every row count matches. A failed or killed restore leaves no database under the target's
 * name.
 */
@Command(
    name = "restore",
    description = {
      "Restore a db-logical backup into a database with pg_restore, then compare every table's row"
          + " count with the backup record.",
      "Connection from the libpq variables PGHOST, PGPORT, PGUSER and PGPASSWORD."
    })
public final class RestoreCommand extends DbCommand {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreCommand.class);

  /** {@code --jobs} when not given (with {@code --create}); see docs/benchmarks.md. */
  static final int DEFAULT_JOBS = 1;

  @Mixin private RepositoryOptions repository;

  @Mixin BackupIdOptions backupId;

  @Option(
      names = "--source-database",
      paramLabel = "NAME",
      description =
          "With latest: the newest backup of this database (needed when the repository holds"
              + " several databases).")
  private String sourceDatabase;

  @Option(
      names = "--target-database",
      paramLabel = "NAME",
      description = "The database to restore into.")
  private String targetDatabase;

  @Option(
      names = "--clean",
      description = "Drop the backup's objects from the target first; needed if it holds tables.")
  private boolean clean;

  @Option(names = "--create", description = "Create the target database; it must not exist.")
  private boolean create;

  @Option(
      names = "--no-owner",
      description =
          "Let the restoring user own every object, for servers that lack the original roles.")
  private boolean noOwner;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description =
          "pg_restore workers (default "
              + DEFAULT_JOBS
              + "). Above 1 needs --create: the dump is decrypted and checked into a spool file"
              + " and restored from it as it fills, into a temporary database renamed into place"
              + " at the end.")
  private Integer jobs;

  @Option(
      names = "--spool-dir",
      paramLabel = "DIR",
      description =
          "With --jobs above 1: where the dump waits for pg_restore (default the system's"
              + " temporary directory); needs room for the dump's uncompressed size plus 64 MiB.")
  private Path spoolDir;

  @Override
  protected void validateCommand(ConfigProblems problems) {
    if (jobs != null && (jobs < 1 || jobs > 64)) {
      problems.add(EnvironmentDefaults.describe("--jobs"), jobs + " is not between 1 and 64");
    } else if (jobs != null && jobs > 1 && !create) {
      problems.add(
          EnvironmentDefaults.describe("--jobs"),
          "above 1 needs --create (a parallel restore cannot run in one transaction, so it"
              + " restores into a new database and renames it into place)");
    }
    if (spoolDir != null && !Files.isDirectory(spoolDir)) {
      problems.add(
          EnvironmentDefaults.describe("--spool-dir"), "'" + spoolDir + "' is not a directory");
    }
    if (targetDatabase == null || targetDatabase.isBlank()) {
      problems.add(EnvironmentDefaults.describe("--target-database"), "not set");
    }
  }

  @Override
  protected int run() throws Exception {
    BlobStore store = repository.openStore();
    Repository repo = openRepositoryToRead(store);
    BackupRecord record = resolve(repo.catalog());
    LogicalDumpFacts facts = facts(record);
    String database = facts.database();
    PartRecord part = dumpPart(record, facts);
    KeyEncryptionKey kek = repository.kek();
    BackupReader reader = openBackup(repo, record, kek, "restore backup", "nothing was restored");

    reader.checkStoredParts();

    Map<String, Long> recorded = facts.rowCounts();
    List<String> owners = facts.owners();
    int workers = effectiveJobs();
    boolean created;
    RowCountComparison comparison;
    if (workers > 1) {
      created = true;
      comparison = restoreInParallel(store, record, database, reader, part, recorded, owners);
    } else {
      PgRestore.Options options = new PgRestore.Options(clean, create, noOwner);
      created = PgRestore.prepareTarget(pg(), targetDatabase, options, owners);
      try {
        comparison = restoreInto(store, record, database, reader, part, recorded, options, created);
      } catch (Exception | Error e) {
        // A database this run created holds nothing anyone relies on: a failed restore leaves none.
        PgRestore.abandonCreated(pg(), targetDatabase, created);
        throw e;
      }
    }
    out().print(comparison.format());
    if (!comparison.matches()) {
      if (workers == 1) {
        PgRestore.abandonCreated(pg(), targetDatabase, created);
      }
      throw JobException.failed(
          "restored backup "
              + record.id()
              + " into database '"
              + targetDatabase
              + "', but "
              + comparison.differences().size()
              + " table(s) differ from the recorded row counts: "
              + String.join(
                  ", ",
                  comparison.differences().stream().map(RowCountComparison.Row::table).toList())
              + (created ? "; the database this restore created was dropped again" : ""),
          null);
    }
    out()
        .printf(
            "restored backup %s of database '%s' into '%s' on %s: %d table(s), every row count"
                + " matches%n",
            record.id(), database, targetDatabase, pg().server(), comparison.rows().size());
    return ExitCodes.DONE;
  }

  /** {@code --jobs} as given, else the default; 1 without {@code --create}. */
  private int effectiveJobs() {
    if (jobs != null) {
      return jobs;
    }
    return create ? DEFAULT_JOBS : 1;
  }

  /**
   * The parallel restore: nothing is touched before the spool has room; the dump is decrypted,
   * authenticated and checked against the record into the spool, and restored from it as it fills
   * (a dump failing its checks fails the restore); the restore goes into a temporary database that
   * is renamed into place only when every row count matches, and dropped otherwise. The spool is
   * deleted in every case.
   */
  private RowCountComparison restoreInParallel(
      BlobStore store,
      BackupRecord record,
      String database,
      BackupReader reader,
      PartRecord part,
      Map<String, Long> recorded,
      List<String> owners)
      throws Exception {
    Databases.requireAbsent(pg(), targetDatabase);
    Path dir = spoolDir != null ? spoolDir : Path.of(System.getProperty("java.io.tmpdir"));
    PgRestore.Options options = new PgRestore.Options(false, true, noOwner);
    try (RestoreSpool spool =
            RestoreSpool.open(dir, part.plaintextSize(), "backup " + record.id());
        RestoringDatabase temporary = RestoringDatabase.claim(pg(), targetDatabase)) {
      boolean created = PgRestore.prepareTarget(pg(), temporary.name(), options, owners);
      try {
        audit(store, record, database, Map.of("jobs", Integer.toString(effectiveJobs())));
        try {
          OverlappedRestore.Outcome outcome =
              OverlappedRestore.restore(
                  pg(),
                  tools(),
                  spool,
                  reader.openPart(part),
                  temporary.name(),
                  options,
                  effectiveJobs());
          LOG.info(
              "backup {}: {} bytes checked into spool '{}' ({} tables loaded while it arrived,"
                  + " data offsets of {} entries written), restored with {} workers",
              record.id(),
              outcome.spooled().bytes(),
              spool.path(),
              outcome.streamed(),
              outcome.spooled().offsets(),
              effectiveJobs());
        } catch (IOException e) {
          throw JobException.failed(
              "unable to restore backup "
                  + record.id()
                  + ": reading it into the spool failed: "
                  + e.getMessage()
                  + "; nothing was restored",
              e);
        }
        RowCountComparison comparison =
            RowCountComparison.of(recorded, PgRestore.countRows(pg(), temporary.name()));
        if (comparison.matches()) {
          Databases.rename(pg(), temporary.name(), targetDatabase);
        } else {
          Databases.drop(pg(), temporary.name());
        }
        return comparison;
      } catch (Exception | Error e) {
        PgRestore.abandonCreated(pg(), temporary.name(), created);
        throw e;
      }
    }
  }

  private void audit(
      BlobStore store, BackupRecord record, String database, Map<String, String> extra)
      throws JobException {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("sourceDatabase", database);
    details.put("targetDatabase", targetDatabase);
    details.put("server", pg().server());
    details.put("clean", Boolean.toString(clean));
    details.put("create", Boolean.toString(create));
    details.put("noOwner", Boolean.toString(noOwner));
    details.putAll(extra);
    auditRestore(store, AuditAction.RESTORE, record, "backup", details);
  }

  private RowCountComparison restoreInto(
      BlobStore store,
      BackupRecord record,
      String database,
      BackupReader reader,
      PartRecord part,
      Map<String, Long> recorded,
      PgRestore.Options options,
      boolean created)
      throws Exception {
    audit(store, record, database, Map.of());
    try (InputStream dump = reader.openPart(part)) {
      PgRestore.restore(pg(), tools(), dump, targetDatabase, options, created);
    }
    return RowCountComparison.of(recorded, PgRestore.countRows(pg(), targetDatabase));
  }

  private BackupRecord resolve(Catalog catalog) throws IOException, JobException {
    if (!backupId.latest()) {
      return findBackup(catalog, backupId.id(), BackupKind.DB_LOGICAL, "restore");
    }
    List<BackupRecord> all = catalog.list(BackupKind.DB_LOGICAL);
    if (sourceDatabase != null && !sourceDatabase.isBlank()) {
      return all.stream()
          .filter(r -> sourceDatabase.equals(r.source().database()))
          .reduce((a, b) -> b)
          .orElseThrow(
              () ->
                  JobException.badInput(
                      "unable to restore latest backup of database '"
                          + sourceDatabase
                          + "': the repository holds none"));
    }
    TreeSet<String> sources = new TreeSet<>();
    all.forEach(r -> sources.add(Objects.toString(r.source().database(), "")));
    if (all.isEmpty()) {
      throw JobException.badInput(
          "unable to restore latest backup: the repository holds no db-logical backup");
    }
    if (sources.size() > 1) {
      throw JobException.badInput(
          "unable to restore latest backup: the repository holds backups of several databases ("
              + String.join(", ", sources)
              + "); name one with --source-database");
    }
    return all.get(all.size() - 1);
  }

  private static LogicalDumpFacts facts(BackupRecord record) throws JobException {
    try {
      return LogicalDumpFacts.of(record);
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "unable to restore " + e.getMessage() + "; nothing was restored", e);
    }
  }

  private static PartRecord dumpPart(BackupRecord record, LogicalDumpFacts facts)
      throws JobException {
    try {
      return facts.dumpPartOf(record);
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "unable to restore " + e.getMessage() + "; nothing was restored", e);
    }
  }
}
