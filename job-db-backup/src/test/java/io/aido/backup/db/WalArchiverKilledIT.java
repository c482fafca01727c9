package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wal-archive} killed with SIGKILL at random moments while the database is written to, then
 * run again: the archive must hold an unbroken chain, and a restore to the latest point must hold
 * every transaction committed before the last run that ended normally started.
 *
 * <p>The archiver runs as a child JVM (SIGKILL must hit a whole process); the load commits one row
 * per transaction and switches WAL segments often, so kills land inside segments, between a
 * segment's upload and its acknowledgement, and during partial uploads. The runs to be killed
 * stream with {@code --follow} (a run that catches up and exits within the random delay would
 * escape its kill, and did on a quiet machine); the runs let finish catch up and exit.
 */
class WalArchiverKilledIT {
  private static final long SEED = Long.getLong("pitr.seed", System.nanoTime());
  private static PgCluster pg;

  @TempDir Path dir;

  @BeforeAll
  static void startCluster() {
    pg =
        PgCluster.builder()
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            // short, so that a killed archiver's walsender gives the slot up within the 15 s a new
            // run waits for it; not shorter than a segment's store takes on a loaded CI machine
            // (the archiver answers the server's keep-alives only between stores: at 5 s, one
            // 5-second store under load made the server drop a healthy run's connection)
            .setting("wal_sender_timeout", "12s")
            .start();
    pg.createDatabase("load");
    pg.psql("load", "CREATE TABLE t (id int PRIMARY KEY, payload text)");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  private Map<String, String> env(Path repo, Path keyset) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static int runInProcess(Map<String, String> env, String... args) {
    CommandRun run = CommandRun.of(new Main()::execute, env, args);
    if (run.code() != 0) {
      throw new AssertionError(String.join(" ", args) + " failed: " + run.err());
    }
    return run.code();
  }

  private static Process startArchiver(Map<String, String> env, Path log, boolean follow)
      throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder b =
        new ProcessBuilder(
            java,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "wal-archive");
    if (follow) {
      // never ends on its own, so every kill round really kills; partials every second
      b.command().addAll(List.of("--follow", "--partial-interval", "PT1S"));
    }
    b.environment().putAll(env);
    b.redirectErrorStream(true);
    b.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return b.start();
  }

  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @Test
  void walArchive_killedAtRandomPointsUnderLoad_chainUnbrokenAndNothingCommittedLost()
      throws Exception {
    Random random = new Random(SEED);
    Path repo = dir.resolve("repo");
    Path keyset = dir.resolve("keyset.json");
    Path log = dir.resolve("archiver.log");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = env(repo, keyset);
    runInProcess(env, "wal-archive");
    runInProcess(env, "base-backup");

    Set<Integer> committed = new ConcurrentSkipListSet<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread load =
        new Thread(
            () -> {
              try (Connection c = pg.connect("load");
                  PreparedStatement insert =
                      c.prepareStatement("INSERT INTO t VALUES (?, repeat(md5(?::text), 20))");
                  Statement s = c.createStatement()) {
                for (int i = 1; !stop.get(); i++) {
                  insert.setInt(1, i);
                  insert.setInt(2, i);
                  insert.executeUpdate();
                  committed.add(i);
                  if (i % 1500 == 0) {
                    s.execute("SELECT pg_switch_wal()");
                  }
                  Thread.sleep(2);
                }
              } catch (Exception e) {
                if (!stop.get()) {
                  throw new IllegalStateException(e);
                }
              }
            },
            "load");
    load.start();

    Set<Integer> committedBeforeLastSuccess = new TreeSet<>();
    int kills = 0;
    int successes = 0;
    for (int round = 0; round < 14; round++) {
      boolean letFinish = round % 4 == 3 || round == 13;
      Set<Integer> before = new TreeSet<>(committed);
      Process p = startArchiver(env, log, !letFinish);
      if (letFinish) {
        boolean ended = p.waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
          p.destroyForcibly();
        }
        assertThat(ended).as("archiver run ended: %s", tail(log)).isTrue();
        assertThat(p.exitValue()).as("seed %d: %s", SEED, tail(log)).isZero();
        committedBeforeLastSuccess = before;
        successes++;
      } else {
        Thread.sleep(300 + random.nextInt(2500));
        if (p.isAlive()) {
          p.destroyForcibly(); // SIGKILL
          kills++;
        }
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    stop.set(true);
    load.join(30_000);
    assertThat(kills).as("kills (seed %d)", SEED).isGreaterThan(3);
    assertThat(successes).isEqualTo(4);
    assertThat(committedBeforeLastSuccess).isNotEmpty();

    WalChain chain =
        WalChain.of(WalArchive.list(new LocalBlobStore(repo), WalSegment.DEFAULT_SIZE));
    assertThat(chain.gaps()).as("gaps (seed %d)", SEED).isEmpty();
    assertThat(chain.segments(1).size()).isGreaterThan(5);

    Path restored = PgCluster.newBaseDir();
    runInProcess(env, "restore-pitr", "--latest", "--pgdata", restored.resolve("data").toString());
    try (PgCluster server = PgCluster.startRestored(restored, null)) {
      Set<Integer> ids = new TreeSet<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try (Connection c = server.connect("load");
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            break;
          }
        } catch (java.sql.SQLException e) {
          // starting
        }
        assertThat(System.nanoTime()).as(server.serverLog()).isLessThan(deadline);
        Thread.sleep(100);
      }
      try (Connection c = server.connect("load");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id FROM t")) {
        while (rs.next()) {
          ids.add(rs.getInt(1));
        }
      }
      List<Integer> lost = new ArrayList<>(committedBeforeLastSuccess);
      lost.removeAll(ids);
      assertThat(lost)
          .as("committed before the last successful run, but not restored (seed %d)", SEED)
          .isEmpty();
    }
  }
}
