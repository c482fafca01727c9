package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  private static PgCluster pg;

  @TempDir Path dir;
  private final List<String> outputs = new ArrayList<>();
  private final List<PgCluster> restored = new ArrayList<>();
  private final List<Path> startedByJob = new ArrayList<>();
  private final List<Path> scratch = new ArrayList<>();

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
    startedByJob.forEach(PitrIT::stopImmediately);
    scratch.forEach(Processes::deleteTree);
    assertThat(outputs).allSatisfy(o -> assertThat(o).doesNotContain(PASSWORD));
  }

  private Map<String, String> env(Path repo, Path keyset) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private CommandRun run(Map<String, String> env, String... args) {
    CommandRun r = CommandRun.of(new Main()::execute, env, args);
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

    CommandRun first = run(env, "wal-archive");
    assertThat(first.code()).as(first.err()).isZero();
    CommandRun base = run(env, "base-backup");
    assertThat(base.code()).as(base.err()).isZero();
    assertThat(base.out()).contains("base backup").contains("on timeline 1");

    pg.psql("todo", "INSERT INTO items VALUES (1, 'A')");
    Thread.sleep(1100);
    Instant noted = Instant.now();
    Thread.sleep(1100);
    pg.psql("todo", "INSERT INTO items VALUES (2, 'B')");

    CommandRun archived = run(env, "wal-archive");
    assertThat(archived.code()).as(archived.err()).isZero();
    assertThat(archived.out()).contains("partial");
    // Two segments' worth: the archive holds whole segments and a partial.
    try (Stream<Path> wal = Files.walk(repo.resolve("wal"))) {
      assertThat(wal.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.endsWith(".partial"));
    }

    Path toTime = PgCluster.newBaseDir();
    CommandRun r1 =
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
    CommandRun r2 =
        run(env, "restore-pitr", "--latest", "--pgdata", toLatest.resolve("data").toString());
    assertThat(r2.code()).as(r2.err()).isZero();
    PgCluster latest = startRestored(toLatest);
    assertThat(rows(latest, "todo", "SELECT label FROM items ORDER BY id"))
        .containsExactly("A", "B");

    // The promoted server writes timeline 2; archiving it into the same repository and restoring
    // from a base backup of it works the same way.
    Map<String, String> env2 = new HashMap<>(env);
    env2.putAll(latest.env());
    CommandRun archive2 = run(env2, "wal-archive");
    assertThat(archive2.code()).as(archive2.err()).isZero();
    assertThat(archive2.out()).contains("on timeline 2");
    CommandRun base2 = run(env2, "base-backup");
    assertThat(base2.code()).as(base2.err()).isZero();
    assertThat(base2.out()).contains("on timeline 2");
    latest.psql("todo", "INSERT INTO items VALUES (3, 'C')");
    assertThat(run(env2, "wal-archive").code()).isZero();
    Path again = PgCluster.newBaseDir();
    CommandRun r3 =
        run(env2, "restore-pitr", "--latest", "--pgdata", again.resolve("data").toString());
    assertThat(r3.code()).as(r3.err()).isZero();
    assertThat(r3.out()).contains("timeline 2");
    PgCluster third = startRestored(again);
    assertThat(rows(third, "todo", "SELECT label FROM items ORDER BY id"))
        .containsExactly("A", "B", "C");
  }

  /**
   * A directory the {@code postgres} OS user may read and write: restore-pitr --start must run as
   * that user, since pg_ctl refuses root.
   */
  private Path postgresDir(String prefix) throws IOException {
    Path d = Files.createTempDirectory(prefix);
    scratch.add(d);
    return d;
  }

  private static void giveToPostgres(Path path) {
    if (Processes.runningAsRoot()) {
      Processes.run(List.of("chown", "-R", "postgres:", path.toString()), Map.of(), TOOL_TIMEOUT)
          .checkSuccess();
    }
  }

  /**
   * This JVM's test class path, linked (or copied) into {@code into}, which the postgres OS user
   * can read: the original lives under root's home.
   */
  private static String readableClassPath(Path into) throws IOException {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : classPath.split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = into.resolve(i++ + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        Processes.run(List.of("cp", "-a", from.toString(), to.toString()), Map.of(), TOOL_TIMEOUT)
            .checkSuccess();
      } else {
        try {
          Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(from, to);
        }
      }
      entries.add(to.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Runs the job in its own JVM as the postgres OS user (as this user when not root). */
  private CommandRun runAsPostgres(String classPath, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Processes.Result result =
        Processes.run(Processes.asUser("postgres", command), env, Duration.ofMinutes(4));
    CommandRun r = new CommandRun(result.exitCode(), result.stdout(), result.stderr());
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  private static void stopImmediately(Path pgdata) {
    if (Files.exists(pgdata.resolve("postmaster.pid"))) {
      Processes.run(
          Processes.asUser(
              "postgres",
              List.of(
                  PgCluster.DEFAULT_BIN_DIR.resolve("pg_ctl").toString(),
                  "-D",
                  pgdata.toString(),
                  "-m",
                  "immediate",
                  "-w",
                  "stop")),
          Map.of(),
          TOOL_TIMEOUT);
    }
  }

  private static List<String> rowsAt(int port, String db, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/" + db, "postgres", PASSWORD);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  @Test
  void restorePitr_startAsTheDataDirectoryOwner_serverReachesTheTargetAndPromotes()
      throws Exception {
    Path shared = postgresDir("pitr-start-");
    Path repo = shared.resolve("repo");
    Path keyset = shared.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = env(repo, keyset);
    pg.createDatabase("shop");
    pg.psql("shop", "CREATE TABLE orders (id int PRIMARY KEY, label text)");

    assertThat(run(env, "wal-archive").code()).isZero();
    CommandRun base = run(env, "base-backup");
    assertThat(base.code()).as(base.err()).isZero();
    pg.psql("shop", "INSERT INTO orders VALUES (1, 'before')");
    Thread.sleep(1100);
    Instant target = Instant.now();
    Thread.sleep(1100);
    pg.psql("shop", "INSERT INTO orders VALUES (2, 'after')");
    CommandRun archived = run(env, "wal-archive");
    assertThat(archived.code()).as(archived.err()).isZero();

    Path classPath = postgresDir("pitr-start-classpath-");
    String cp = readableClassPath(classPath);
    Path pgdata = shared.resolve("restored").resolve("data");
    giveToPostgres(shared);
    giveToPostgres(classPath);
    int port = FreePort.find();
    Map<String, String> childEnv = new HashMap<>(env);
    childEnv.put("PGPORT", Integer.toString(port));
    startedByJob.add(pgdata);

    CommandRun started =
        runAsPostgres(
            cp,
            childEnv,
            "restore-pitr",
            "--target-time",
            target.toString(),
            "--pgdata",
            pgdata.toString(),
            "--start",
            "--start-timeout",
            "PT2M");

    assertThat(started.code()).as(started.err()).isZero();
    assertThat(started.out())
        .contains("the server on '" + pgdata + "' (port " + port + ") reached time " + target)
        .contains("and promoted");
    assertThat(rowsAt(port, "postgres", "SELECT pg_is_in_recovery()::text"))
        .containsExactly("false");
    assertThat(rowsAt(port, "shop", "SELECT label FROM orders ORDER BY id"))
        .containsExactly("before");
    // the source still runs, on its own port, with both rows: the job did not poll it instead
    assertThat(rowsAt(pg.port(), "shop", "SELECT label FROM orders ORDER BY id"))
        .containsExactly("before", "after");

    stopImmediately(pgdata);
    assertThat(pgdata.resolve("postmaster.pid")).doesNotExist();
    assertThatThrownBy(() -> rowsAt(port, "postgres", "SELECT 1")).isInstanceOf(SQLException.class);
  }

  @Test
  void restorePitr_startOnAPortAnotherServerHolds_failsKeepingTheDataDirectory() throws Exception {
    Path shared = postgresDir("pitr-start-busy-");
    Path repo = shared.resolve("repo");
    Path keyset = shared.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = env(repo, keyset);
    assertThat(run(env, "wal-archive").code()).isZero();
    CommandRun base = run(env, "base-backup");
    assertThat(base.code()).as(base.err()).isZero();
    assertThat(run(env, "wal-archive").code()).isZero();

    Path classPath = postgresDir("pitr-start-classpath-");
    String cp = readableClassPath(classPath);
    Path pgdata = shared.resolve("restored").resolve("data");
    giveToPostgres(shared);
    giveToPostgres(classPath);
    startedByJob.add(pgdata);

    // PGPORT is the source server's: the restored one cannot bind it
    CommandRun started =
        runAsPostgres(
            cp,
            env,
            "restore-pitr",
            "--latest",
            "--pgdata",
            pgdata.toString(),
            "--start",
            "--start-timeout",
            "PT1M");

    assertThat(started.code()).isEqualTo(1);
    assertThat(started.err())
        .contains("error: unable to start the restored server: pg_ctl start exited with code 1")
        .contains("the restored data directory '" + pgdata + "' is left as it is")
        .contains("FATAL:  could not create any TCP/IP sockets")
        .doesNotContain(PASSWORD);
    assertThat(started.out()).doesNotContain("promoted");
    assertThat(pgdata.resolve("recovery.signal")).exists();
    assertThat(pgdata.resolve("PG_VERSION")).exists();
    assertThat(pgdata.resolve("postmaster.pid")).doesNotExist();
  }
}
