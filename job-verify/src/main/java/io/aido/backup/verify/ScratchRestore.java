package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.CorruptPartException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.postgres.Databases;
import io.aido.backup.postgres.LogicalDumpFacts;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgErrors;
import io.aido.backup.postgres.PgRestore;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.RowCountComparison;
import io.aido.backup.postgres.RowCounts;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore-test level for one {@code db-logical} backup: its dump is streamed from the
 * repository into {@code pg_restore} ({@link PgRestore}) on the scratch server, into a database
 * created for it ({@link ScratchDatabases}); then every table's row count is compared with the
 * record, the database is analyzed and every table answers a sample query; the database is dropped
 * whatever happened.
 *
 * <p>The restore runs without owners and privileges ({@code --no-owner --no-privileges}), so the
 * scratch server needs none of the application's roles; the scratch user needs {@code CREATEDB}.
 * The time the restore took is the measured recovery time, stored with the result.
 *
 * <p>Verdicts: a dump that does not restore (a corrupt part, a pg_restore error while the server
 * stays reachable), a count that differs, a table that cannot be sampled are problems of the
 * backup. A scratch server that cannot be reached or refuses to create a database is not a verdict
 * and is thrown as {@link JobException}; a key that cannot be used at all is thrown as {@link
 * KeyUnavailableException}.
 */
final class ScratchRestore {
  private static final Logger LOG = LoggerFactory.getLogger(ScratchRestore.class);
  private static final int SAMPLE_ROWS = 100;
  private static final PgRestore.Options OPTIONS = new PgRestore.Options(false, true, true, true);

  private final Repository repository;
  private final KeyEncryptionKey kek;
  private final PgConnection pg;
  private final PgTools tools;
  private final ScratchDatabases scratch;
  private final Clock clock;
  private int scratchMajor = Integer.MAX_VALUE;

  /**
   * One backup's outcome.
   *
   * @param result what to store; its problems are the lines to print
   * @param database the database the backup holds
   * @param leftover a scratch database that could not be dropped, with why; {@code null} when it
   *     was dropped (the next run drops a leftover)
   */
  record Outcome(VerificationResult result, String database, String leftover) {}

  ScratchRestore(
      Repository repository, KeyEncryptionKey kek, PgConnection pg, PgTools tools, Clock c) {
    this.repository = repository;
    this.kek = kek;
    this.pg = pg;
    this.tools = tools;
    this.scratch = new ScratchDatabases(pg);
    this.clock = c;
  }

  /**
   * Checks, before any restore, that {@code pg_restore} runs and the scratch server answers, and
   * learns the server's major version.
   *
   * @throws JobException exit code 1 when the tool cannot run or the server cannot be reached, 2
   *     when it refuses the credentials
   */
  void preflight() throws JobException {
    try {
      tools.version("pg_restore");
    } catch (IOException e) {
      throw JobException.failed("unable to test-restore: " + e.getMessage(), e);
    }
    try (Connection c = Databases.openMaintenance(pg);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
      rs.next();
      scratchMajor = rs.getInt(1);
    } catch (SQLException e) {
      throw PgErrors.onConnect(e, pg, "postgres");
    }
  }

  /** Drops the scratch databases of earlier runs that were killed; see {@link ScratchDatabases}. */
  List<String> dropLeftovers() throws JobException {
    return scratch.dropLeftovers();
  }

  /**
   * Test-restores {@code record}.
   *
   * @throws JobException when the scratch server cannot be used
   * @throws KeyUnavailableException when the key cannot be used at all
   * @throws IOException when reading the dump from the store fails
   */
  Outcome check(BackupRecord record) throws JobException, KeyUnavailableException, IOException {
    long started = System.nanoTime();
    String backup = "backup " + record.id() + " (" + record.kind() + ")";
    List<String> problems = new ArrayList<>();
    Long restoreMillis = null;
    long bytes = 0;
    String leftover = null;
    LogicalDumpFacts facts = null;
    PartRecord part = null;
    try {
      facts = LogicalDumpFacts.of(record);
      part = facts.dumpPartOf(record);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage() + "; nothing to restore");
    }
    String database =
        facts == null ? Objects.toString(record.source().database(), "") : facts.database();
    BackupReader reader = null;
    if (part != null) {
      try {
        reader = repository.reader(record, kek);
      } catch (KeyUnavailableException e) {
        throw e;
      } catch (GeneralSecurityException e) {
        problems.add(backup + ": " + e.getMessage() + "; nothing was restored");
      }
    }
    if (reader != null) {
      requireScratchNotOlder(record, backup);
      String name = ScratchDatabases.newName(record.id());
      try (ScratchDatabases.Claim claim = scratch.claim(name)) {
        boolean created = PgRestore.prepareTarget(pg, name, OPTIONS, List.of());
        try {
          long t0 = System.nanoTime();
          boolean restored = restore(reader, part, name, created, backup, problems);
          if (restored) {
            restoreMillis = (System.nanoTime() - t0) / 1_000_000;
            bytes = part.storedSize();
            LOG.info(
                "{}: restored into scratch database '{}' in {} ms", backup, name, restoreMillis);
            compare(facts, name, backup, problems);
          }
        } finally {
          leftover = drop(name);
        }
      }
    }
    VerificationResult result =
        new VerificationResult(
            record.id(),
            record.kind(),
            clock.instant(),
            VerificationResult.RESTORE_TEST,
            problems.isEmpty(),
            bytes,
            (System.nanoTime() - started) / 1_000_000,
            problems,
            restoreMillis);
    return new Outcome(result, database, leftover);
  }

  /**
   * Refuses a dump of a newer PostgreSQL than the scratch server's: pg_restore would fail on it.
   *
   * @throws JobException naming both versions (a bad input: exit 2)
   */
  private void requireScratchNotOlder(BackupRecord record, String backup) throws JobException {
    int sourceMajor = major(record.source().serverVersion());
    if (sourceMajor > scratchMajor) {
      throw JobException.badInput(
          "unable to test-restore "
              + backup
              + ": it was dumped from PostgreSQL "
              + sourceMajor
              + ", newer than the scratch server '"
              + pg.server()
              + "' (PostgreSQL "
              + scratchMajor
              + "); use a scratch server of version "
              + sourceMajor
              + " or newer");
    }
  }

  /**
   * Restores; false with a problem when the dump does not restore.
   *
   * @throws IOException when reading the dump from the store failed (not a verdict)
   */
  private boolean restore(
      BackupReader reader,
      PartRecord part,
      String name,
      boolean created,
      String backup,
      List<String> problems)
      throws JobException, IOException {
    IOException[] readFailure = new IOException[1];
    try (InputStream dump =
        new FilterInputStream(reader.openPart(part)) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            try {
              return super.read(b, off, len);
            } catch (IOException e) {
              readFailure[0] = e;
              throw e;
            }
          }
        }) {
      PgRestore.restore(pg, tools, dump, name, OPTIONS, created);
      return true;
    } catch (JobException e) {
      if (readFailure[0] instanceof CorruptPartException corrupt) {
        problems.add(backup + " part " + part.name() + ": " + problemOf(corrupt));
        return false;
      }
      if (readFailure[0] != null) {
        throw readFailure[0];
      }
      if (!reachable()) {
        throw e;
      }
      problems.add(backup + ": does not restore: " + e.getMessage());
      return false;
    }
  }

  /** The exception's message without its "backup X part 'Y': " prefix, which the line has. */
  private static String problemOf(CorruptPartException e) {
    String prefix = "backup " + e.backup() + " part '" + e.part() + "': ";
    String m = e.getMessage();
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  private void compare(LogicalDumpFacts facts, String name, String backup, List<String> problems)
      throws JobException {
    Map<String, Long> restored = PgRestore.countRows(pg, name);
    RowCountComparison comparison = RowCountComparison.of(facts.rowCounts(), restored);
    for (RowCountComparison.Row row : comparison.differences()) {
      problems.add(
          backup
              + " table "
              + row.table()
              + ": "
              + (row.restored() == null
                  ? "missing after the restore"
                  : "restored " + row.restored() + " rows")
              + ", "
              + (row.recorded() == null
                  ? "the record does not list it"
                  : "the record says " + row.recorded()));
    }
    try (Connection c = pg.open(name);
        Statement s = c.createStatement()) {
      s.execute("ANALYZE");
      for (String table : restored.keySet()) {
        int dot = table.indexOf('.');
        String sql =
            "SELECT * FROM "
                + RowCounts.quoteIdent(table.substring(0, dot))
                + "."
                + RowCounts.quoteIdent(table.substring(dot + 1))
                + " LIMIT "
                + SAMPLE_ROWS;
        try (ResultSet rs = s.executeQuery(sql)) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              rs.getObject(i);
            }
          }
        } catch (SQLException e) {
          problems.add(
              backup
                  + " table "
                  + table
                  + ": sample query failed: "
                  + PgErrors.firstLine(e.getMessage()));
        }
      }
    } catch (SQLException e) {
      problems.add(
          backup
              + ": unable to analyze the restored database: "
              + PgErrors.firstLine(e.getMessage()));
    }
  }

  /** The leading number of a version like {@code 15.14 (Debian ...)}; 0 when there is none. */
  private static int major(String version) {
    if (version == null) {
      return 0;
    }
    int end = 0;
    while (end < version.length() && Character.isDigit(version.charAt(end))) {
      end++;
    }
    return end == 0 || end > 6 ? 0 : Integer.parseInt(version.substring(0, end));
  }

  private String drop(String name) {
    try {
      Databases.drop(pg, name);
      return null;
    } catch (JobException e) {
      LOG.error("{}; the next restore test drops it", e.getMessage());
      return name + ": " + e.getMessage();
    }
  }

  private boolean reachable() {
    try (Connection c = Databases.openMaintenance(pg)) {
      return c.isValid(10);
    } catch (SQLException | JobException e) {
      return false;
    }
  }
}
