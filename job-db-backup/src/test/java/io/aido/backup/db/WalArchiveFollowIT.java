package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.wal.Lsn;
import io.aido.backup.core.wal.WalArchive;
import io.aido.backup.core.wal.WalChain;
import io.aido.backup.core.wal.WalSegment;
import io.aido.backup.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wal-archive --follow} as a Deployment runs it (a child JVM): a commit's WAL is stored
 * within seconds, and SIGTERM (a pod stopping) stores what was received before the process ends.
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

  @Test
  void follow_commitStoredWithinSeconds_sigtermStoresTheRest() throws Exception {
    Path repo = dir.resolve("repo");
    Path keyset = dir.resolve("keyset.json");
    Path log = dir.resolve("follow.log");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    ProcessBuilder b =
        new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "wal-archive",
            "--follow",
            "--partial-interval",
            "PT1S");
    b.environment().putAll(env);
    b.redirectErrorStream(true);
    b.redirectOutput(log.toFile());
    Process p = b.start();
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
