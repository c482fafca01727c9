package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time recovery end to end on real servers: {@code base-backup}, {@code wal-archive} and
 * {@code restore-pitr} against a PostgreSQL 15 cluster with a password, a file:// repository and a
 * generated keyset; every restore is started as a real server and queried.
 */
class PitrIT {
  private static final String PASSWORD = "Pitr-s3cret-pw";
  private static PgCluster pg;

  @TempDir Path dir;
  private final List<String> outputs = new ArrayList<>();
  private final List<PgCluster> restored = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    pg =
        PgCluster.builder()
            .superuserPassword(PASSWORD)
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  @AfterEach
  void cleanUp() {
    restored.forEach(PgCluster::close);
    assertThat(outputs).allSatisfy(o -> assertThat(o).doesNotContain(PASSWORD));
  }

  private record Run(int code, String out, String err) {}

  private Map<String, String> env(Path repo, Path keyset) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = new Main().execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    Run r =
        new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  private static List<String> rows(PgCluster cluster, String db, String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = cluster.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  /** Starts a restored data directory and waits until recovery has ended and it promoted. */
  private PgCluster startRestored(Path base) throws Exception {
    PgCluster cluster = PgCluster.startRestored(base, PASSWORD);
    restored.add(cluster);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try {
        if (rows(cluster, "postgres", "SELECT pg_is_in_recovery()::text")
            .equals(List.of("false"))) {
          return cluster;
        }
      } catch (java.sql.SQLException e) {
        // still starting
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("restored server did not promote:\n" + cluster.serverLog());
      }
      Thread.sleep(100);
    }
  }

  @Test
  void restorePitr_toNotedTimeAndLatest_keepsAOnlyThenBoth() throws Exception {
    Path repo = dir.resolve("repo");
    Path keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = env(repo, keyset);
    pg.createDatabase("todo");
    pg.psql("todo", "CREATE TABLE items (id int PRIMARY KEY, label text)");

    Run first = run(env, "wal-archive");
    assertThat(first.code()).as(first.err()).isZero();
    Run base = run(env, "base-backup");
    assertThat(base.code()).as(base.err()).isZero();
    assertThat(base.out()).contains("base backup").contains("on timeline 1");

    pg.psql("todo", "INSERT INTO items VALUES (1, 'A')");
    Thread.sleep(1100);
    Instant noted = Instant.now();
    Thread.sleep(1100);
    pg.psql("todo", "INSERT INTO items VALUES (2, 'B')");

    Run archived = run(env, "wal-archive");
    assertThat(archived.code()).as(archived.err()).isZero();
    assertThat(archived.out()).contains("partial");
    // Two segments' worth: the archive holds whole segments and a partial.
    try (Stream<Path> wal = Files.walk(repo.resolve("wal"))) {
      assertThat(wal.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.endsWith(".partial"));
    }

    Path toTime = PgCluster.newBaseDir();
    Run r1 =
        run(
            env,
            "restore-pitr",
            "--target-time",
            noted.toString(),
            "--pgdata",
            toTime.resolve("data").toString());
    assertThat(r1.code()).as(r1.err()).isZero();
    assertThat(r1.out()).contains("start the server");
    PgCluster atTime = startRestored(toTime);
    assertThat(rows(atTime, "todo", "SELECT label FROM items ORDER BY id")).containsExactly("A");

    Path toLatest = PgCluster.newBaseDir();
    Run r2 = run(env, "restore-pitr", "--latest", "--pgdata", toLatest.resolve("data").toString());
    assertThat(r2.code()).as(r2.err()).isZero();
    PgCluster latest = startRestored(toLatest);
    assertThat(rows(latest, "todo", "SELECT label FROM items ORDER BY id"))
        .containsExactly("A", "B");

    // The promoted server writes timeline 2; archiving it into the same repository and restoring
    // from a base backup of it works the same way.
    Map<String, String> env2 = new HashMap<>(env);
    env2.putAll(latest.env());
    Run archive2 = run(env2, "wal-archive");
    assertThat(archive2.code()).as(archive2.err()).isZero();
    assertThat(archive2.out()).contains("on timeline 2");
    Run base2 = run(env2, "base-backup");
    assertThat(base2.code()).as(base2.err()).isZero();
    assertThat(base2.out()).contains("on timeline 2");
    latest.psql("todo", "INSERT INTO items VALUES (3, 'C')");
    assertThat(run(env2, "wal-archive").code()).isZero();
    Path again = PgCluster.newBaseDir();
    Run r3 = run(env2, "restore-pitr", "--latest", "--pgdata", again.resolve("data").toString());
    assertThat(r3.code()).as(r3.err()).isZero();
    assertThat(r3.out()).contains("timeline 2");
    PgCluster third = startRestored(again);
    assertThat(rows(third, "todo", "SELECT label FROM items ORDER BY id"))
        .containsExactly("A", "B", "C");
  }
}
