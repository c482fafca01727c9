package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import io.aido.backup.testing.PgCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wal-archive --follow} as a Deployment runs it (a child JVM): a commit's WAL is stored
 * within seconds, SIGTERM (a pod stopping) stores what was received before the process ends, and
 * the lag is pushed while it runs to a Pushgateway (here a local HTTP server that records what it
 * is sent and answers as the Pushgateway does).
 */
class WalArchiveFollowIT {
  private static PgCluster pg;

  @TempDir Path dir;

  @BeforeAll
  static void startCluster() {
    pg =
        PgCluster.builder()
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
    pg.psql("postgres", "CREATE TABLE t (id int)");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  private static Lsn insertAndPosition(int id) {
    return Lsn.parse(
        pg.psql(
            "postgres", "INSERT INTO t VALUES (" + id + "); SELECT pg_current_wal_flush_lsn()"));
  }

  private static Optional<Lsn> archivedEnd(Path repo) throws Exception {
    if (!Files.exists(repo)) {
      return Optional.empty();
    }
    return WalChain.of(WalArchive.list(new LocalBlobStore(repo), WalSegment.DEFAULT_SIZE)).end(1);
  }

  /** A Pushgateway stand-in: records each push, answers with {@code status}. */
  private static final class PushSink implements AutoCloseable {
    record Push(Instant at, String method, String path, String body) {}

    final List<Push> pushes = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    final HttpServer server;

    PushSink() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            pushes.add(
                new Push(
                    Instant.now(),
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(),
                    new String(body, StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private Process startFollow(Path repo, Path log, Map<String, String> extraEnv, String... options)
      throws Exception {
    Path keyset = dir.resolve("keyset.json");
    if (!Files.exists(keyset)) {
      KeyEncryptionKeys.generateKeysetFile(keyset);
    }
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.putAll(extraEnv);
    List<String> command =
        new ArrayList<>(
            List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "wal-archive",
                "--follow"));
    command.addAll(List.of(options));
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().putAll(env);
    b.redirectErrorStream(true);
    b.redirectOutput(log.toFile());
    return b.start();
  }

  private static double sample(String body, String metric) {
    Matcher m = Pattern.compile("(?m)^" + metric + "(?:\\{[^}]*\\})? ([-+0-9.eE]+)$").matcher(body);
    assertThat(m.find()).as(metric + " in\n" + body).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void follow_pushesLagEveryInterval_whileRunning() throws Exception {
    Path repo = dir.resolve("repo");
    Path log = dir.resolve("follow.log");
    try (PushSink sink = new PushSink()) {
      Process p =
          startFollow(
              repo,
              log,
              Map.of("BACKUP_PUSHGATEWAY_URL", sink.url(), "BACKUP_CLUSTER_NAME", "prod"),
              "--slot",
              "push_slot",
              "--partial-interval",
              "PT1S",
              "--metrics-interval",
              "PT2S");
      try {
        Lsn committed = insertAndPosition(10);
        // three pushes while the process runs, the last after the commit was stored
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
          assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
          assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
          List<PushSink.Push> got = List.copyOf(sink.pushes);
          if (got.size() >= 3
              && sample(got.get(got.size() - 1).body(), "backup_wal_archive_end_lsn")
                  >= committed.value()) {
            break;
          }
          Thread.sleep(200);
        }
        List<PushSink.Push> got = List.copyOf(sink.pushes);
        PushSink.Push last = got.get(got.size() - 1);
        assertThat(last.method()).isEqualTo("POST");
        assertThat(last.path())
            .startsWith("/metrics/job/db-backup/")
            .contains("/command/wal-archive")
            .contains("/cluster/prod");
        double now = System.currentTimeMillis() / 1000.0;
        assertThat(sample(last.body(), "backup_wal_archive_lag_bytes")).isBetween(0.0, 1e9);
        assertThat(sample(last.body(), "backup_wal_archive_last_stored_timestamp_seconds"))
            .isBetween(now - 60, now + 1);
        assertThat(sample(last.body(), "backup_wal_archive_archived_through_timestamp_seconds"))
            .isBetween(now - 60, now + 1);
        assertThat(sample(last.body(), "backup_run_success")).isEqualTo(1.0);
        // the pushes come about every 2 s, not only at the end
        for (int i = 1; i < got.size(); i++) {
          assertThat(Duration.between(got.get(i - 1).at(), got.get(i).at()))
              .isLessThan(Duration.ofSeconds(20));
        }
        assertThat(got).hasSizeGreaterThanOrEqualTo(3);
      } finally {
        p.destroy();
        assertThat(p.waitFor(45, TimeUnit.SECONDS)).isTrue();
        p.destroyForcibly();
        pg.psql("postgres", "SELECT pg_drop_replication_slot('push_slot')");
      }
    }
  }

  @Test
  void follow_pushgatewayRefuses_keepsArchivingAndRetries() throws Exception {
    Path repo = dir.resolve("repo");
    Path log = dir.resolve("follow.log");
    try (PushSink sink = new PushSink()) {
      sink.status = 500;
      Process p =
          startFollow(
              repo,
              log,
              Map.of("BACKUP_PUSHGATEWAY_URL", sink.url()),
              "--slot",
              "refused_slot",
              "--partial-interval",
              "PT1S",
              "--metrics-interval",
              "PT1S");
      try {
        Lsn committed = insertAndPosition(20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sink.pushes.size() < 2
            || archivedEnd(repo).filter(e -> !e.isBefore(committed)).isEmpty()) {
          assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
          assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
          Thread.sleep(200);
        }
        assertThat(Files.readString(log)).contains("unable to push metrics");
        assertThat(p.isAlive()).isTrue();
      } finally {
        p.destroy();
        assertThat(p.waitFor(45, TimeUnit.SECONDS)).isTrue();
        p.destroyForcibly();
        pg.psql("postgres", "SELECT pg_drop_replication_slot('refused_slot')");
      }
    }
  }

  @Test
  void follow_commitStoredWithinSeconds_sigtermStoresTheRest() throws Exception {
    Path repo = dir.resolve("repo");
    Path log = dir.resolve("follow.log");
    Process p = startFollow(repo, log, Map.of(), "--partial-interval", "PT1S");
    try {
      Lsn first = insertAndPosition(1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (archivedEnd(repo).filter(e -> !e.isBefore(first)).isEmpty()) {
        assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
        Thread.sleep(200);
      }
      // the partial interval is 1 s: the next commit is stored well before 15 s
      Lsn second = insertAndPosition(2);
      long start = System.nanoTime();
      while (archivedEnd(repo).filter(e -> !e.isBefore(second)).isEmpty()) {
        assertThat(System.nanoTime() - start)
            .as(Files.readString(log))
            .isLessThan(TimeUnit.SECONDS.toNanos(15));
        Thread.sleep(100);
      }

      Lsn last = insertAndPosition(3);
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(45, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
      assertThat(archivedEnd(repo)).get().matches(e -> !e.isBefore(last), "reaches " + last);
      assertThat(
              WalChain.of(WalArchive.list(new LocalBlobStore(repo), WalSegment.DEFAULT_SIZE))
                  .gaps())
          .isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }
}
