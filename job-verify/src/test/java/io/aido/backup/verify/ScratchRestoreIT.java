package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import io.aido.backup.postgres.LogicalDumpFacts;
import io.aido.backup.postgres.RowCounts;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code verify --restore-test} against real PostgreSQL: dumps taken with the real {@code pg_dump}
 * from a source cluster (whose tables belong to an application role and carry grants) are stored
 * through the real {@link Repository} and test-restored into a second, separate scratch cluster
 * that has none of those roles.
 */
class ScratchRestoreIT {
  private static final String SCRATCH_LIKE = "SELECT datname FROM pg_database WHERE datname LIKE";

  private static PgCluster source;
  private static PgCluster scratch;

  @TempDir Path root;
  @TempDir Path keys;
  private Path keyset;
  private KeyEncryptionKey kek;
  private Repository repo;
  private LocalBlobStore store;
  private String out;
  private String err;
  private RunMetrics metrics;

  @BeforeAll
  static void clusters() {
    source = PgCluster.builder().superuserPassword("source-secret").start();
    scratch = PgCluster.builder().superuserPassword("scratch-secret").start();
    source.psql("postgres", "CREATE ROLE todo_app LOGIN; CREATE ROLE reporting");
    source.createDatabase("todo", "todo_app");
    source.psql(
        "todo",
        "SET ROLE todo_app;"
            + " CREATE TABLE items (id int PRIMARY KEY, title text NOT NULL, done boolean);"
            + " INSERT INTO items SELECT g, 'item ' || g, g % 3 = 0 FROM generate_series(1, 500) g;"
            + " CREATE SCHEMA audit;"
            + " CREATE TABLE audit.events (at timestamptz DEFAULT now(), what jsonb);"
            + " INSERT INTO audit.events (what) SELECT jsonb_build_object('n', g)"
            + "   FROM generate_series(1, 40) g;"
            + " CREATE INDEX ON items (done);"
            + " GRANT SELECT ON items TO reporting;");
    source.createDatabase("notes");
    source.psql("notes", "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('a'), ('b')");
  }

  @AfterAll
  static void stopClusters() {
    if (source != null) {
      source.close();
    }
    if (scratch != null) {
      scratch.close();
    }
  }

  @BeforeEach
  void repository() throws Exception {
    keyset = keys.resolve("kek.json");
    kek = KeyEncryptionKeys.generateKeysetFile(keyset);
    store = new LocalBlobStore(root);
    repo =
        Repository.open(
            store, new Pipeline(new PipelineSettings(3, 2, 64 * 1024, 2)), Clock.systemUTC());
  }

  /** A db-logical backup of {@code db} made with the real pg_dump, its counts passed through. */
  private BackupRecord backup(String db, UnaryOperator<Map<String, Long>> recordedCounts)
      throws Exception {
    Map<String, Long> counts;
    try (Connection c = source.connect(db)) {
      counts = RowCounts.count(c);
    }
    List<String> command =
        List.of(
            source.binDir().resolve("pg_dump").toString(),
            "-Fc",
            "-Z0",
            "--no-password",
            "--dbname=" + db);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(source.env());
    Process dump = pb.start();
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, Source.database(db, "15"), kek); ) {
      try (InputStream in = dump.getInputStream()) {
        w.writePart(db + ".dump", in);
      }
      assertThat(dump.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(dump.exitValue()).isZero();
      w.writePart("globals.sql", new ByteArrayInputStream("-- none".getBytes()));
      LogicalDumpFacts facts =
          new LogicalDumpFacts(
              db,
              db + ".dump",
              "globals.sql",
              "15",
              "pg_dump (PostgreSQL) 15",
              "00000003-00000002-1",
              recordedCounts.apply(new LinkedHashMap<>(counts)),
              List.of("todo_app"));
      return w.commit(facts.toFacts());
    }
  }

  private int verify(Map<String, String> pgEnv, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("verify"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--storage-url",
            root.toUri().toString(),
            "--kek-uri",
            keyset.toString(),
            "--log-format",
            "text"));
    Map<String, String> env = new HashMap<>(pgEnv);
    env.putIfAbsent("PG_BIN_DIR", scratch.binDir().toString());
    JobContext context =
        new JobContext(
            Environment.of(env),
            new PrintStream(o, true, StandardCharsets.UTF_8),
            new PrintStream(e, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    CommandLine cl = new Main().commandLine(context);
    VerifyCommand command = (VerifyCommand) cl.getSubcommands().get("verify").getCommand();
    int code = cl.execute(all.toArray(String[]::new));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    metrics = command.runMetrics();
    return code;
  }

  private int restoreTest(String... more) {
    List<String> args = new ArrayList<>(List.of("--restore-test"));
    args.addAll(List.of(more));
    return verify(scratch.env(), args.toArray(String[]::new));
  }

  private static String scratchDatabases() {
    return scratch.psql("postgres", SCRATCH_LIKE + " 'aido\\_verify\\_%' ORDER BY 1");
  }

  private Double gauge(String name, Map<String, String> labels) {
    for (MetricSnapshot s : metrics.registry().scrape()) {
      if (!s.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot d : s.getDataPoints()) {
        if (labels.entrySet().stream()
            .allMatch(l -> l.getValue().equals(d.getLabels().get(l.getKey())))) {
          return ((GaugeSnapshot.GaugeDataPointSnapshot) d).getValue();
        }
      }
    }
    return null;
  }

  @Test
  void restoreTest_goodDumps_newestOfEachDatabasePassAndScratchIsDropped() throws Exception {
    BackupRecord one = backup("todo", c -> c);
    BackupRecord two = backup("todo", c -> c);
    BackupRecord notes = backup("notes", c -> c);
    // the catalog orders by start instant, then by id (ids name the start second only)
    java.util.Comparator<BackupRecord> byStart =
        java.util.Comparator.comparing(BackupRecord::startedAt).thenComparing(BackupRecord::id);
    BackupRecord newer = byStart.compare(one, two) > 0 ? one : two;
    BackupRecord older = newer == one ? two : one;

    int code = restoreTest();

    assertThat(code).as(err).isZero();
    assertThat(out).contains("2 restore-tested (0 bad)", "0 problems");
    VerificationResult tested =
        VerificationResults.newest(store, BackupKind.DB_LOGICAL, newer.id()).orElseThrow();
    assertThat(tested.level()).isEqualTo(VerificationResult.RESTORE_TEST);
    assertThat(tested.ok()).isTrue();
    assertThat(tested.restoreMillis()).isNotNull().isPositive();
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, notes.id()).orElseThrow())
        .extracting(VerificationResult::level)
        .isEqualTo(VerificationResult.RESTORE_TEST);
    assertThat(
            VerificationResults.newest(store, BackupKind.DB_LOGICAL, older.id())
                .orElseThrow()
                .level())
        .isEqualTo(VerificationResult.INTEGRITY);
    assertThat(scratchDatabases()).isEmpty();

    assertThat(
            gauge(
                "backup_verify_restore_duration_seconds",
                Map.of("kind", "db-logical", "backup_id", newer.id().value(), "database", "todo")))
        .isEqualTo(tested.restoreMillis() / 1000.0);
    assertThat(
            gauge(
                "backup_verify_backup_ok",
                Map.of("backup_id", newer.id().value(), "level", "restore-test")))
        .isEqualTo(1.0);
    assertThat(gauge("backup_verify_restore_tests", Map.of("kind", "db-logical"))).isEqualTo(2.0);
    assertThat(gauge("backup_verify_restore_failures", Map.of("kind", "db-logical")))
        .isEqualTo(0.0);
    assertThat(
            gauge("backup_verify_last_restore_test_duration_seconds", Map.of("kind", "db-logical")))
        .isNotNull();
    assertThat(
            gauge(
                "backup_verify_last_restore_test_timestamp_seconds", Map.of("kind", "db-logical")))
        .isNotNull();
    assertThat(
            gauge(
                "backup_verify_backup_last_verified_timestamp_seconds",
                Map.of("backup_id", older.id().value())))
        .isNotNull();
    assertThat(gauge("backup_verify_checked_bytes", Map.of("kind", "db-logical")))
        .isGreaterThan(0.0);

    assertThat(restoreTest("--all")).as(err).isZero();
    assertThat(out).contains("verified 3 backups", "3 restore-tested (0 bad)");
    assertThat(scratchDatabases()).isEmpty();
  }

  @Test
  void restoreTest_recordClaimsOtherRowCount_exits3NamingBackupAndTable() throws Exception {
    BackupRecord lying =
        backup(
            "todo",
            c -> {
              c.put("public.items", c.get("public.items") + 1);
              return c;
            });

    int code = restoreTest();

    assertThat(code).isEqualTo(3);
    assertThat(out)
        .contains(
            "backup "
                + lying.id()
                + " (db-logical) table public.items: restored 500 rows, the record says 501")
        .contains("1 restore-tested (1 bad)")
        .doesNotContain("table audit.events");
    VerificationResult result =
        VerificationResults.newest(store, BackupKind.DB_LOGICAL, lying.id()).orElseThrow();
    assertThat(result.level()).isEqualTo(VerificationResult.RESTORE_TEST);
    assertThat(result.ok()).isFalse();
    assertThat(scratchDatabases()).isEmpty();
    assertThat(gauge("backup_verify_restore_failures", Map.of("kind", "db-logical")))
        .isEqualTo(1.0);
    assertThat(gauge("backup_verify_failures", Map.of("kind", "db-logical"))).isEqualTo(1.0);
  }

  @Test
  void restoreTest_leftoverOfKilledRun_isDroppedButClaimedAndForeignDatabasesStay()
      throws Exception {
    backup("notes", c -> c);
    String leftover = "aido_verify_20261124t020000z_a1b2c3_0123456789ab";
    String busy = "aido_verify_busy";
    scratch.createDatabase(leftover);
    scratch.createDatabase(busy);
    scratch.createDatabase("aido_verifyx_not_ours");
    try (Connection other = scratch.connect("postgres");
        PreparedStatement lock =
            other.prepareStatement("SELECT pg_advisory_lock(x'61696476'::int, hashtext(?))")) {
      lock.setString(1, busy);
      lock.execute();

      assertThat(restoreTest()).as(err).isZero();

      assertThat(scratchDatabases()).isEqualTo(busy);
      assertThat(scratch.psql("postgres", SCRATCH_LIKE + " 'aido\\_verifyx%'"))
          .isEqualTo("aido_verifyx_not_ours");
    } finally {
      scratch.psql("postgres", "DROP DATABASE IF EXISTS " + busy);
      scratch.psql("postgres", "DROP DATABASE IF EXISTS aido_verifyx_not_ours");
    }
  }

  @Test
  void restoreTest_scratchServerUnreachable_exits1AndWritesNoRestoreResult() throws Exception {
    BackupRecord r = backup("notes", c -> c);
    Map<String, String> env = new HashMap<>(scratch.env());
    env.put("PGHOST", "127.0.0.1");
    env.put("PGPORT", Integer.toString(FreePort.find()));

    int code = verify(env, "--restore-test");

    assertThat(code).isEqualTo(1);
    assertThat(err).contains("127.0.0.1:" + env.get("PGPORT"));
    assertThat(
            VerificationResults.newest(store, BackupKind.DB_LOGICAL, r.id()).orElseThrow().level())
        .isEqualTo(VerificationResult.INTEGRITY);
  }

  @Test
  void restoreTest_pgRestoreMissing_exits1BeforeCreatingAnything() throws Exception {
    BackupRecord r = backup("notes", c -> c);
    Map<String, String> env = new HashMap<>(scratch.env());
    Path empty = keys.resolve("no-tools");
    java.nio.file.Files.createDirectories(empty);

    env.put("PG_BIN_DIR", empty.toString());

    int code = verify(env, "--restore-test");

    assertThat(code).isEqualTo(1);
    assertThat(err)
        .contains("unable to test-restore: unable to run '" + empty.resolve("pg_restore"));
    assertThat(scratchDatabases()).isEmpty();
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, r.id()).orElseThrow().ok())
        .isTrue();
  }

  @Test
  void restoreTest_dumpFromNewerServerThanScratch_exits2() throws Exception {
    BackupRecord r;
    try (BackupWriter w =
        repo.begin(BackupKind.DB_LOGICAL, Source.database("future", "99.1"), kek)) {
      w.writePart("future.dump", new ByteArrayInputStream(new byte[] {1, 2, 3}));
      r =
          w.commit(
              new LogicalDumpFacts(
                      "future",
                      "future.dump",
                      "globals.sql",
                      "99.1",
                      "pg_dump (PostgreSQL) 99.1",
                      "00000003-00000002-1",
                      Map.of(),
                      List.of())
                  .toFacts());
    }

    int code = restoreTest();

    assertThat(code).isEqualTo(2);
    assertThat(err)
        .contains("unable to test-restore backup " + r.id() + " (db-logical)")
        .contains("dumped from PostgreSQL 99, newer than the scratch server");
    assertThat(scratchDatabases()).isEmpty();
  }

  @Test
  void restoreTest_scratchServerKilledMidRestore_exits1AndNextRunDropsTheLeftover()
      throws Exception {
    source.createDatabase("big");
    source.psql(
        "big",
        "CREATE TABLE blob (id int, payload text);"
            + " INSERT INTO blob SELECT g, repeat(md5(g::text), 16)"
            + "   FROM generate_series(1, 200000) g;");
    BackupRecord r = backup("big", c -> c);
    ExecutorService runner = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> run = runner.submit(() -> restoreTest());
      // poll with a deadline until pg_restore streams rows into the scratch database
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      boolean copying = false;
      while (!copying && !run.isDone() && System.nanoTime() < deadline) {
        try (Connection c = scratch.connect("postgres");
            Statement st = c.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'aido\\_verify\\_%'"
                        + " AND query ILIKE 'COPY%'")) {
          rs.next();
          copying = rs.getInt(1) > 0;
        }
        if (!copying) {
          Thread.sleep(20);
        }
      }
      assertThat(copying).as("pg_restore was seen copying before the run ended").isTrue();

      scratch.kill();

      assertThat(run.get(120, TimeUnit.SECONDS)).as(err).isEqualTo(1);
      assertThat(err).contains(scratch.host() + ":" + scratch.port());
      assertThat(
              VerificationResults.newest(store, BackupKind.DB_LOGICAL, r.id())
                  .orElseThrow()
                  .level())
          .isEqualTo(VerificationResult.INTEGRITY);
    } finally {
      runner.shutdownNow();
      if (!scratch.isRunning()) {
        scratch.startAgain();
      }
      source.psql("postgres", "DROP DATABASE big");
    }
    assertThat(scratchDatabases())
        .startsWith("aido_verify_" + r.id().value().substring(0, 16).toLowerCase());

    assertThat(restoreTest()).as(err).isZero();

    assertThat(err).contains("dropped scratch database 'aido_verify_");
    assertThat(scratchDatabases()).isEmpty();
    assertThat(
            VerificationResults.newest(store, BackupKind.DB_LOGICAL, r.id()).orElseThrow().level())
        .isEqualTo(VerificationResult.RESTORE_TEST);
  }
}
