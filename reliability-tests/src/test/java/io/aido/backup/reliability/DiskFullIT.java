package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full: the repository, or the WAL archiver's spool, on a small filesystem that fills up (a
 * tmpfs with a size limit, mounted by the test, which runs as root in CI; skipped where mounting is
 * not allowed). Each run that hits the limit fails cleanly (exit 1, one message, no record, nothing
 * half-visible), every earlier backup still verifies, retention's leftover cleanup removes what it
 * left, and the next run with room succeeds.
 */
class DiskFullIT {
  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path keyset;
  private static final List<Path> mounts = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pg =
        PgCluster.builder()
            .superuserPassword("Disk-full-pw")
            .walLevel("replica")
            .maxWalSenders(2)
            .setting("max_replication_slots", "2")
            .start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 1000) i;"
            + "CREATE TABLE noise (id int PRIMARY KEY, bytes bytea);");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    pg.close();
    for (Path m : mounts) {
      Processes.run(List.of("umount", "-l", m.toString()), Map.of(), Duration.ofSeconds(30));
    }
  }

  /** A tmpfs of {@code size} at a new directory; the test is skipped where none can be mounted. */
  private static Path smallFilesystem(String name, String size) throws IOException {
    Path mount = Files.createDirectories(dir.resolve(name));
    Processes.Result r =
        Processes.run(
            List.of(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=" + size + ",mode=0777",
                "tmpfs",
                mount.toString()),
            Map.of(),
            Duration.ofSeconds(30));
    assumeTrue(r.exitCode() == 0, "cannot mount a tmpfs here: " + r.stderr());
    mounts.add(mount);
    return mount;
  }

  private static Map<String, String> env(Path repo) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static CommandRun run(Path repo, Supplier<JobMain> job, String... args) {
    return CommandRun.of(job.get()::execute, env(repo), args);
  }

  private static Set<String> files(Path root, String sub) throws IOException {
    Set<String> names = new TreeSet<>();
    Path start = root.resolve(sub);
    if (!Files.isDirectory(start)) {
      return names;
    }
    try (Stream<Path> s = Files.walk(start)) {
      s.filter(Files::isRegularFile).forEach(p -> names.add(root.relativize(p).toString()));
    }
    return names;
  }

  /** Random bytes do not compress: about {@code mib} MiB more in the next dump. */
  private static void addNoise(int mib) {
    pg.psql(
        "todo",
        "INSERT INTO noise SELECT i, (SELECT string_agg(decode(md5(random()::text || i || j),"
            + " 'hex'), ''::bytea) FROM generate_series(1, 64) j) FROM generate_series(1, "
            + (mib * 1024)
            + ") i;");
  }

  @Test
  void backup_repositoryFillsUp_exit1NoRecordEarlierBackupsIntact_retentionRemovesThePartialData()
      throws Exception {
    Supplier<JobMain> db = io.aido.backup.db.Main::new;
    Path repo = smallFilesystem("small-repo", "6m");
    assertThat(run(repo, db, "backup", "--database", "todo").code()).isZero();
    Set<String> records = files(repo, "catalog");
    Set<String> data = files(repo, "data");

    addNoise(8);
    CommandRun full = run(repo, db, "backup", "--database", "todo");

    assertThat(full.code()).as(full.all()).isEqualTo(1);
    assertThat(full.all()).contains("No space left on device").doesNotContain("\tat ");
    assertThat(files(repo, "catalog")).as("no record of the failed run").isEqualTo(records);
    assertThat(files(repo, ".incoming\\")).as("no upload left half-written").isEmpty();
    CommandRun verify =
        run(repo, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness");
    assertThat(verify.code()).as(verify.all()).isZero();

    CommandRun cleanup =
        run(
            repo,
            io.aido.backup.retention.Main::new,
            "apply",
            "--keep-last",
            "1000",
            "--leftover-grace",
            "PT0S");
    assertThat(cleanup.code()).as(cleanup.all()).isZero();
    assertThat(files(repo, "data")).as("the failed run's parts removed").isEqualTo(data);

    pg.psql("todo", "TRUNCATE noise");
    CommandRun next = run(repo, db, "backup", "--database", "todo");
    assertThat(next.code()).as("the next run, with room again: %s", next.all()).isZero();
    assertThat(files(repo, "catalog")).hasSize(records.size() + 1);
    System.out.printf(
        "reliability: disk full: backup into a 6 MiB repository that fills: exit 1 (%s), no"
            + " record, earlier backup verifies, partial data removed by retention, next run"
            + " succeeds%n",
        full.all().lines().filter(l -> l.contains("No space")).findFirst().orElse("").strip());
  }

  @Test
  void walArchive_spoolFillsUp_exit1NothingHalfVisible_nextRunWithRoomArchivesEverything()
      throws Exception {
    Supplier<JobMain> db = io.aido.backup.db.Main::new;
    Path repo = dir.resolve("wal-repo");
    Path spool = smallFilesystem("small-spool", "4m");
    pg.psql("todo", "SELECT pg_switch_wal();");

    CommandRun full = run(repo, db, "wal-archive", "--spool-dir", spool.toString());

    assertThat(full.code()).as(full.all()).isEqualTo(1);
    assertThat(full.all()).contains("No space left on device").doesNotContain("\tat ");
    assertThat(files(repo, ".incoming\\")).as("no upload left half-written").isEmpty();
    assertThat(files(spool, ".")).as("nothing left in the spool").isEmpty();

    CommandRun next = run(repo, db, "wal-archive");
    assertThat(next.code()).as("the next run, with room: %s", next.all()).isZero();
    assertThat(files(repo, "wal")).isNotEmpty();
    CommandRun verify =
        run(repo, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness");
    assertThat(verify.code()).as(verify.all()).isZero();
    System.out.printf(
        "reliability: disk full: wal-archive with its spool on a 4 MiB filesystem: exit 1, nothing"
            + " half-visible, spool emptied, next run archives and verifies%n");
  }
}
