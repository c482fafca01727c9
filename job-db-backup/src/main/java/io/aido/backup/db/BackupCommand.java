package io.aido.backup.db;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.BackupRun;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.ByteSizes;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.postgres.LogicalDumpFacts;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.Preflight;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code backup}: one consistent, streamed, encrypted dump per database, as kind {@code
 * db-logical}.
 *
 * <p>For each database: a REPEATABLE READ snapshot is exported; {@code pg_dump -Fc -Z0 --snapshot}
 * streams through the pipeline into part {@code <database>.dump} while every table's rows are
 * counted in the same snapshot; {@code pg_dumpall --globals-only} (roles, tablespaces) becomes part
 * {@code globals.sql} of the same backup; the record is written last with the facts {@code
 * database}, {@code serverVersion}, {@code pgDumpVersion}, {@code snapshot}, {@code rowCounts} and
 * {@code owners}.
 *
 * <p>Why the globals live inside each database backup and not in a record of their own: a dump
 * restores with its owners only where its roles exist, so the roles must be kept exactly as long as
 * the dump. In the same record they share its id, key and retention, and no policy can remove one
 * without the other. They are a few kilobytes.
 *
 * <p>Before any byte moves: the server is reachable, the credentials work, pg_dump is new enough,
 * every database exists, the key-encryption key wraps and unwraps a data key, and the repository
 * takes a new object (a probe, deleted at once). A failure after that leaves no record (the backup
 * stays invisible and retention clears its parts), and the next databases are still backed up; the
 * exit code is 1 if any failed.
 */
@Command(
    name = "backup",
    description = {
      "Dump each database with pg_dump (custom format) through compression and encryption into the"
          + " repository, with the cluster's roles and per-table row counts from the same snapshot.",
      "Connection from the libpq variables PGHOST, PGPORT, PGUSER and PGPASSWORD (or"
          + " PGPASSWORD_FILE, or a password file in PGPASSFILE)."
    })
public final class BackupCommand extends DbCommand {
  private static final Logger LOG = LoggerFactory.getLogger(BackupCommand.class);

  @Mixin private RepositoryOptions repository;

  @Mixin private CompressionOptions compression = new CompressionOptions();

  @Option(
      names = {"--database", "--databases"},
      split = ",",
      paramLabel = "NAME",
      description = "A database to back up; repeat or separate by commas.")
  private List<String> databases;

  @Option(
      names = "--with-role-passwords",
      description =
          "Keep the roles' password hashes in the globals (default: leave them out, so a restored"
              + " role has no password and a non-superuser can take the backup).")
  private boolean withRolePasswords;

  @Override
  protected void validateCommand(ConfigProblems problems) {
    if (databases == null || databases.stream().allMatch(String::isBlank)) {
      problems.add(EnvironmentDefaults.describe("--databases"), "not set (the databases to dump)");
      return;
    }
    databases = databases.stream().map(String::strip).filter(d -> !d.isEmpty()).distinct().toList();
  }

  @Override
  protected int run() throws Exception {
    PgTools tools = tools();
    Preflight.ServerFacts server = Preflight.check(pg(), tools, databases);
    KeyEncryptionKey kek = repository.kek();
    Repository repo =
        openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
    try {
      repo.checkWritable();
    } catch (IOException e) {
      throw JobException.failed(e.getMessage(), e);
    }

    List<String> failures = new ArrayList<>();
    for (String db : databases) {
      try {
        BackupRecord r = backupOne(repo, kek, tools, server, db);
        LogicalDumpFacts facts = LogicalDumpFacts.of(r);
        out()
            .printf(
                "backup %s of database '%s': %d tables, %d rows, %s dumped, %s stored in %s%n",
                r.id(),
                db,
                facts.rowCounts().size(),
                facts.totalRows(),
                ByteSizes.human(r.plaintextSize()),
                ByteSizes.human(r.storedSize()),
                Elapsed.seconds(Duration.between(r.startedAt(), r.finishedAt())));
      } catch (JobException e) {
        if (e.exitCode() == ExitCodes.USAGE || databases.size() == 1) {
          throw e;
        }
        LOG.error("{}", e.getMessage());
        context().err().println("error: " + e.getMessage());
        failures.add(db);
      }
    }
    if (!failures.isEmpty()) {
      throw JobException.failed(
          "backup failed for database(s) "
              + String.join(", ", failures)
              + " of "
              + databases.size()
              + "; earlier backups are untouched",
          null);
    }
    return ExitCodes.DONE;
  }

  private BackupRecord backupOne(
      Repository repo, KeyEncryptionKey kek, PgTools tools, Preflight.ServerFacts server, String db)
      throws JobException {
    Source source =
        new Source(
            runOptions().clusterName().orElse(null),
            null,
            db,
            server.serverVersion(),
            Map.of("server", pg().server()));
    String dumpPart = partName(db);
    Instant start = clock().instant();
    try (ConsistentSnapshot snapshot = ConsistentSnapshot.open(pg(), db);
        BackupRun run =
            beginBackup(
                repo, BackupKind.DB_LOGICAL, source, kek, "backup", "of database '" + db + "'")) {
      LOG.info("backup {} of database '{}' started, snapshot {}", run.id(), db, snapshot.id());
      // Counting reads every table once; it runs in the snapshot's own session while pg_dump
      // streams, so the two overlap instead of adding up.
      CompletableFuture<Map<String, Long>> counts = countRows(snapshot);
      PartRecord dump;
      try (PgDump pgDump = PgDump.database(pg(), tools, db, snapshot.id())) {
        dump = run.writePart(dumpPart, pgDump.stream());
      } catch (IOException e) {
        // A count that failed first (a table the user may not read) aborts the snapshot's
        // transaction, and pg_dump then only reports that it could not import the snapshot: the
        // count's error is the cause worth showing.
        Throwable countFailure = countFailure(counts);
        if (countFailure != null) {
          throw countFailed(run, countFailure);
        }
        throw run.partFailed(dumpPart, e);
      }
      try (PgDump globals = PgDump.globals(pg(), tools, withRolePasswords)) {
        run.writePart(GLOBALS_PART, globals.stream());
      } catch (IOException e) {
        throw run.partFailed(GLOBALS_PART, e);
      }
      Map<String, Long> rowCounts;
      List<String> owners;
      try {
        rowCounts = counts.join();
        owners = snapshot.owners();
      } catch (CompletionException | SQLException e) {
        Throwable cause =
            e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        throw countFailed(run, cause);
      }
      LogicalDumpFacts facts =
          new LogicalDumpFacts(
              db,
              dump.name(),
              GLOBALS_PART,
              server.serverVersion(),
              server.pgDump().text(),
              snapshot.id(),
              rowCounts,
              owners);
      BackupRecord record = run.commit(facts.toFacts());
      LOG.info(
          "backup {} of database '{}' complete: {} dumped, {} stored in {}",
          record.id(),
          db,
          ByteSizes.human(record.plaintextSize()),
          ByteSizes.human(record.storedSize()),
          Elapsed.seconds(Duration.between(start, clock().instant())));
      return record;
    } catch (IOException e) {
      throw JobException.failed(
          "unable to start backup of database '" + db + "': " + e.getMessage(), e);
    }
  }

  /** The part that holds the cluster's globals in every database backup. */
  static final String GLOBALS_PART = "globals.sql";

  /**
   * {@code <database>.dump}, with characters that do not belong in an object name percent-encoded.
   */
  static String partName(String database) {
    StringBuilder b = new StringBuilder();
    for (byte x : database.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (x & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-'
          || (c == '.' && b.length() > 0)) {
        b.append(c);
      } else {
        b.append('%').append(String.format("%02X", x & 0xff));
      }
    }
    return b.append(".dump").toString();
  }

  /** Counts every table's rows in the snapshot's own session, in the background. */
  private static CompletableFuture<Map<String, Long>> countRows(ConsistentSnapshot snapshot) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return snapshot.rowCounts();
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        });
  }

  /** Why counting failed, if it already has; never waits for a count still running. */
  private static Throwable countFailure(CompletableFuture<?> counts) {
    if (!counts.isCompletedExceptionally()) {
      return null;
    }
    try {
      counts.join();
      return null;
    } catch (CompletionException e) {
      return e.getCause() == null ? e : e.getCause();
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static JobException countFailed(BackupRun run, Throwable cause) {
    return run.failed(
        "unable to count rows in the snapshot: " + PgErrors.firstLine(cause.getMessage()), cause);
  }
}
