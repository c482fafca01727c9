package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What base-backup, wal-archive and restore-pitr refuse, on real servers: settings that make
 * archiving impossible (each named in the message with what to change), a gap in the archived WAL
 * (found before anything is unpacked), a non-empty data directory, a wrong key, no base backup.
 */
class PitrFailuresIT {
  private static PgCluster replica;
  private static PgCluster minimal;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;

  @BeforeAll
  static void startClusters() {
    replica =
        PgCluster.builder()
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
    replica.psql("postgres", "CREATE ROLE plain LOGIN; CREATE TABLE t (id int)");
    minimal = PgCluster.start();
  }

  @AfterAll
  static void stopClusters() {
    replica.close();
    minimal.close();
  }

  @BeforeEach
  void keyset() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  private Map<String, String> env(PgCluster pg) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static CommandRun run(Map<String, String> env, String... args) {
    return CommandRun.of(new Main()::execute, env, args);
  }

  private static boolean isEmptyOrAbsent(Path p) throws Exception {
    if (!Files.exists(p)) {
      return true;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  @Test
  void walArchiveAndBaseBackup_walLevelMinimal_refusedNamingTheSetting() {
    CommandRun archive = run(env(minimal), "wal-archive");
    assertThat(archive.code()).isEqualTo(2);
    assertThat(archive.err()).contains("wal_level = minimal").contains("set wal_level = replica");
    CommandRun base = run(env(minimal), "base-backup");
    assertThat(base.code()).isEqualTo(2);
    assertThat(base.err()).contains("wal_level = minimal");
    assertThat(repo.resolve("catalog")).doesNotExist();
  }

  @Test
  void walArchive_roleWithoutReplication_refusedNamingTheAttribute() {
    Map<String, String> env = env(replica);
    env.put("PGUSER", "plain");
    CommandRun r = run(env, "wal-archive", "--slot", "plain_slot");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("user 'plain'").contains("REPLICATION");
  }

  @Test
  void walArchive_noReplicationLineInPgHba_refusedNamingPgHba() throws Exception {
    Path hba = replica.dataDir().resolve("pg_hba.conf");
    String original = Files.readString(hba);
    try {
      Files.writeString(
          hba,
          original
              .lines()
              .filter(l -> !l.contains("replication"))
              .reduce("", (a, b) -> a + b + "\n"));
      replica.psql("postgres", "SELECT pg_reload_conf()");
      CommandRun r = run(env(replica), "wal-archive", "--slot", "hba_slot");
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains("pg_hba.conf").contains("host replication");
      assertThat(WalArchive.list(new LocalBlobStore(repo), WalSegment.DEFAULT_SIZE)).isEmpty();
    } finally {
      Files.writeString(hba, original);
      replica.psql(
          "postgres", "SELECT pg_reload_conf(); SELECT pg_drop_replication_slot('hba_slot')");
    }
  }

  @Test
  void restorePitr_gapInArchivedWal_refusedBeforeUnpackingAnything() throws Exception {
    Map<String, String> env = env(replica);
    assertThat(run(env, "wal-archive", "--slot", "gap_slot").code()).isZero();
    assertThat(run(env, "base-backup").code()).isZero();
    for (int i = 0; i < 4; i++) {
      replica.psql("postgres", "INSERT INTO t VALUES (" + i + "); SELECT pg_switch_wal()");
    }
    CommandRun archived = run(env, "wal-archive", "--slot", "gap_slot");
    assertThat(archived.code()).as(archived.err()).isZero();
    LocalBlobStore store = new LocalBlobStore(repo);
    List<ArchivedWal> whole =
        WalArchive.list(store, WalSegment.DEFAULT_SIZE).stream()
            .filter(w -> !w.partial())
            .sorted()
            .toList();
    assertThat(whole.size()).isGreaterThan(3);
    ArchivedWal removed = whole.get(whole.size() - 2);
    store.delete(removed.key());
    assertThat(WalChain.of(WalArchive.list(store, WalSegment.DEFAULT_SIZE)).gaps()).hasSize(1);

    Path pgdata = dir.resolve("restored");
    CommandRun r = run(env, "restore-pitr", "--latest", "--pgdata", pgdata.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("point-in-time recovery is impossible between " + removed.segment().start())
        .contains("nothing was restored");
    assertThat(isEmptyOrAbsent(pgdata)).isTrue();

    // a point before the gap is still reachable
    CommandRun before =
        run(
            env,
            "restore-pitr",
            "--target-lsn",
            removed.segment().start().toString(),
            "--pgdata",
            pgdata.toString());
    assertThat(before.code()).as(before.err()).isZero();
    assertThat(pgdata.resolve("recovery.signal")).exists();
    assertThat(Files.readString(pgdata.resolve("postgresql.auto.conf")))
        .contains("recovery_target_lsn = '" + removed.segment().start() + "'")
        .contains("restore_command = 'cp");
    replica.psql("postgres", "SELECT pg_drop_replication_slot('gap_slot')");
  }

  @Test
  void restorePitr_nonEmptyDataDirWrongKeyOrNoBase_refusedAndNothingWritten() throws Exception {
    Map<String, String> env = env(replica);
    CommandRun noRepository =
        run(env, "restore-pitr", "--latest", "--pgdata", dir.resolve("x").toString());
    assertThat(noRepository.code()).isEqualTo(2);
    assertThat(noRepository.err()).contains("no repository at");
    assertThat(dir.resolve("x")).doesNotExist();

    assertThat(run(env, "wal-archive", "--slot", "key_slot").code()).isZero();
    CommandRun none = run(env, "restore-pitr", "--latest", "--pgdata", dir.resolve("x").toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("no db-base backup");
    assertThat(run(env, "base-backup").code()).isZero();
    assertThat(run(env, "wal-archive", "--slot", "key_slot").code()).isZero();

    Path busy = dir.resolve("busy");
    Files.createDirectories(busy);
    Files.writeString(busy.resolve("PG_VERSION"), "15\n");
    CommandRun notEmpty = run(env, "restore-pitr", "--latest", "--pgdata", busy.toString());
    assertThat(notEmpty.code()).isEqualTo(2);
    assertThat(notEmpty.err()).contains("is not empty");
    try (Stream<Path> s = Files.list(busy)) {
      assertThat(s.toList()).containsExactly(busy.resolve("PG_VERSION"));
    }

    Path otherKey = dir.resolve("other.json");
    KeyEncryptionKeys.generateKeysetFile(otherKey);
    Map<String, String> wrongKey = new HashMap<>(env);
    wrongKey.put("BACKUP_KEK_URI", otherKey.toString());
    Path pgdata = dir.resolve("wrong-key");
    CommandRun wrong = run(wrongKey, "restore-pitr", "--latest", "--pgdata", pgdata.toString());
    assertThat(wrong.code()).isEqualTo(2);
    assertThat(wrong.err()).contains("wrong key").contains("nothing was restored");
    assertThat(isEmptyOrAbsent(pgdata)).isTrue();

    CommandRun early =
        run(
            env,
            "restore-pitr",
            "--target-time",
            "2000-01-01T00:00:00Z",
            "--pgdata",
            pgdata.toString());
    assertThat(early.code()).isEqualTo(2);
    assertThat(early.err()).contains("ended after it");
    replica.psql("postgres", "SELECT pg_drop_replication_slot('key_slot')");
  }

  @Test
  void walArchive_repositoryHoldsAnotherClustersWal_refused() throws Exception {
    LocalBlobStore store = new LocalBlobStore(repo);
    WalArchive archive =
        new WalArchive(
            store,
            new io.aido.backup.core.pipeline.Pipeline(
                io.aido.backup.core.pipeline.PipelineSettings.defaults()));
    Path segment = dir.resolve("segment");
    Files.write(segment, new byte[1024]);
    io.aido.backup.core.crypto.DataKey key = io.aido.backup.core.crypto.DataKey.generate();
    archive.store(
        ArchivedWal.partial(new WalSegment(1, 1, WalSegment.DEFAULT_SIZE), 1024),
        segment,
        "123",
        key,
        key.wrap(KeyEncryptionKeys.openKeysetFile(keyset)),
        java.time.Instant.now());
    CommandRun r = run(env(replica), "wal-archive", "--slot", "other_slot");
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("system identifier 123")
        .contains("set BACKUP_STORAGE_URL to a new prefix")
        .contains("run base-backup, then wal-archive");
  }

  @Test
  void restorePitr_twoTargets_usageError() {
    CommandRun r =
        run(
            env(replica),
            "restore-pitr",
            "--latest",
            "--target-lsn",
            "0/3000000",
            "--pgdata",
            dir.resolve("y").toString());
    assertThat(r.code()).isEqualTo(2);
  }
}
