package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore --jobs 2} end to end against a real PostgreSQL: the spool is checked for room
 * before anything is touched and removed after success, failure and (by the next run) a kill; a
 * failed restore leaves no database under the target's name nor a temporary one.
 */
class RestoreJobsIT {
  private static PgCluster pg;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;
  private Path spool;

  @BeforeAll
  static void startCluster() throws IOException {
    pg = PgCluster.builder().start();
    pg.psql("postgres", "CREATE ROLE todo_owner NOLOGIN");
    pg.createDatabase("todo");
    try (InputStream sql = RestoreJobsIT.class.getResourceAsStream("/rich-schema.sql")) {
      pg.psql("todo", new String(sql.readAllBytes(), StandardCharsets.UTF_8));
    }
    pg.createDatabase("big");
    pg.psql(
        "big",
        "CREATE TABLE lines (id int PRIMARY KEY, body text);"
            + "INSERT INTO lines SELECT i, repeat(md5(i::text), 32) FROM generate_series(1, 400000) i;"
            + "CREATE TABLE other (id int PRIMARY KEY, body text);"
            + "INSERT INTO other SELECT i, md5(i::text) FROM generate_series(1, 100000) i;");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  @BeforeEach
  void keysetAndRepository() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    spool = Files.createDirectories(dir.resolve("spool"));
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("BACKUP_SPOOL_DIR", spool.toString());
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private CommandRun run(String... args) {
    return CommandRun.of(new Main()::execute, env(), args);
  }

  private List<Path> spoolFiles() throws IOException {
    try (Stream<Path> s = Files.list(spool)) {
      return s.toList();
    }
  }

  private static String databasesLike(String prefix) {
    return pg.psql(
        "postgres",
        "SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_database"
            + " WHERE datname LIKE '"
            + prefix
            + "%'");
  }

  @Test
  void restoreJobs2_everyTableMatches_renamedIntoPlaceAndNoSpoolLeft() {
    assertThat(run("backup", "--database", "todo").code()).isZero();

    CommandRun restore =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "todo_parallel",
            "--create",
            "--jobs",
            "2");

    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(restore.out()).contains("every row count matches").contains("'todo_parallel'");
    assertThat(databasesLike("todo_parallel")).isEqualTo("todo_parallel");
    assertThat(pg.psql("todo_parallel", "SELECT count(*) FROM app.todos")).isEqualTo("1000");
    assertThat(dir.resolve("spool")).isEmptyDirectory();
  }

  @Test
  void restoreJobs2_withoutCreate_exit2BeforeAnythingIsRead() {
    assertThat(run("backup", "--database", "todo").code()).isZero();

    CommandRun restore =
        run("restore", "--backup-id", "latest", "--target-database", "todo", "--jobs", "2");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("--jobs").contains("needs --create");
  }

  @Test
  void restoreJobs2_partTamperedNearItsEnd_exit1NoDatabaseAndNoSpoolLeft() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Path part;
    try (Stream<Path> s = Files.walk(repo.resolve("data/db-logical"))) {
      part =
          s.filter(p -> p.getFileName().toString().equals("todo.dump")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(part);
    bytes[bytes.length - 20] ^= 0x01;
    Files.write(part, bytes);

    CommandRun restore =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "tampered_parallel",
            "--create",
            "--jobs",
            "2");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.errorLine()).contains("nothing was restored");
    assertThat(databasesLike("tampered_parallel")).isEmpty();
    assertThat(dir.resolve("spool")).isEmptyDirectory();
  }

  @Test
  void restoreJobs2_rowCountsDifferFromTheRecord_exit1NoDatabaseAndNoSpoolLeft() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Path record;
    try (Stream<Path> s = Files.list(repo.resolve("catalog/db-logical"))) {
      record = s.findFirst().orElseThrow();
    }
    String json = Files.readString(record);
    // a record as earlier versions wrote it (no seal, no marker), where the later checks catch the
    // edit; a sealed record is refused before that (TamperMatrixIT)
    Files.writeString(
        record,
        BackupRestoreCommandIT.unsealed(json)
            .replace("\"app.todos\" : 1000", "\"app.todos\" : 999"));
    Files.delete(repo.resolve("record-seals.json"));

    CommandRun restore =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "counts_parallel",
            "--create",
            "--jobs",
            "2");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.errorLine()).contains("differ").contains("dropped again");
    assertThat(databasesLike("counts_parallel")).isEmpty();
    assertThat(dir.resolve("spool")).isEmptyDirectory();
  }

  @Test
  void restoreJobs2_jvmSigkilledMidRestore_nextRunRemovesTheSpoolAndTheTemporaryDatabase()
      throws Exception {
    assertThat(run("backup", "--database", "big").code()).isZero();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "restore",
                "--backup-id",
                "latest",
                "--target-database",
                "killed",
                "--create",
                "--jobs",
                "2")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    child.environment().putAll(env());
    Process process = child.start();
    try {
      // Killed while the spool fills: the temporary database exists, the spool holds data.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline
          && (spoolFiles().stream().noneMatch(p -> p.toFile().length() > 0)
              || databasesLike("killed_restoring_").isEmpty())) {
        Thread.sleep(5);
      }
      assertThat(spoolFiles()).as(Files.readString(dir.resolve("child.log"))).hasSize(1);
      process.destroyForcibly(); // SIGKILL of the JVM: it cleans up nothing
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      Processes.killTree(process.toHandle());
    }
    assertThat(spoolFiles()).hasSize(1);
    assertThat(databasesLike("killed")).startsWith("killed_restoring_");

    CommandRun next =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "killed",
            "--create",
            "--jobs",
            "2");

    assertThat(next.code()).as(next.err()).isZero();
    assertThat(spoolFiles()).isEmpty();
    assertThat(databasesLike("killed")).isEqualTo("killed");
    assertThat(pg.psql("killed", "SELECT count(*) FROM lines")).isEqualTo("400000");
  }

  @Test
  void restoreJobs2_spoolDirWithoutRoom_exit2BeforeTheTargetIsTouched() throws Exception {
    assumeTrue(
        Processes.runningAsRoot(), "needs root to mount a small tmpfs as the spool dir; skipped");
    assertThat(run("backup", "--database", "big").code()).isZero();
    Processes.run(
            List.of("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", spool.toString()),
            Map.of(),
            Duration.ofSeconds(10))
        .checkSuccess();
    try {
      CommandRun restore =
          run(
              "restore",
              "--backup-id",
              "latest",
              "--target-database",
              "no_room",
              "--create",
              "--jobs",
              "2");

      assertThat(restore.code()).isEqualTo(2);
      assertThat(restore.errorLine())
          .contains(spool.toString())
          .contains("free")
          .contains("nothing was restored");
      assertThat(databasesLike("no_room")).isEmpty();
      assertThat(spoolFiles()).isEmpty();
      assertThat(repo.resolve("audit"))
          .satisfiesAnyOf(
              p -> assertThat(p).doesNotExist(), p -> assertThat(auditRestores(p)).isZero());
    } finally {
      Processes.run(List.of("umount", "-l", spool.toString()), Map.of(), Duration.ofSeconds(10));
    }
  }

  private static long auditRestores(Path audit) {
    try (Stream<Path> s = Files.walk(audit)) {
      return s.filter(Files::isRegularFile)
          .filter(
              p -> {
                try {
                  return Files.readString(p).contains("restore");
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
