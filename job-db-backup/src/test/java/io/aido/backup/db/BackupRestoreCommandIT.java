package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's {@code backup} and {@code restore} commands end to end: a real PostgreSQL with a
 * password, the real pg_dump and pg_restore, a file:// repository and a generated keyset. Every
 * captured line of output is checked for the password.
 */
class BackupRestoreCommandIT {
  private static final String PASSWORD = "Cmd-s3cret-pw";
  private static PgCluster pg;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;
  private final List<String> outputs = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws IOException {
    pg = PgCluster.builder().superuserPassword(PASSWORD).start();
    pg.psql("postgres", "CREATE ROLE todo_owner NOLOGIN");
    pg.createDatabase("todo");
    try (InputStream sql = BackupRestoreCommandIT.class.getResourceAsStream("/rich-schema.sql")) {
      pg.psql("todo", new String(sql.readAllBytes(), StandardCharsets.UTF_8));
    }
    pg.createDatabase("big");
    // Text that compresses well (long dumps whatever the disk) and random bytes that do not (a
    // stored size larger than a small filesystem).
    pg.psql(
        "big",
        "CREATE TABLE lines (id int PRIMARY KEY, body text);"
            + "INSERT INTO lines SELECT i, repeat(md5(i::text), 32) FROM generate_series(1, 150000) i;"
            + "CREATE TABLE noise (id int PRIMARY KEY, bytes bytea);"
            + "INSERT INTO noise SELECT i, (SELECT string_agg(decode(md5(random()::text || i || j),"
            + " 'hex'), ''::bytea) FROM generate_series(1, 64) j) FROM generate_series(1, 8000) i;");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  @BeforeEach
  void keysetAndRepository() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterEach
  void noPasswordInAnyOutput() {
    assertThat(outputs).allSatisfy(o -> assertThat(o).doesNotContain(PASSWORD));
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  /** One in-process run: exit code, stdout, stderr. */
  private CommandRun run(Map<String, String> env, String... args) {
    CommandRun r = CommandRun.of(new Main()::execute, env, args);
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  private CommandRun run(String... args) {
    return run(env(), args);
  }

  private List<Path> records() throws IOException {
    Path catalog = repo.resolve("catalog/db-logical");
    if (!Files.isDirectory(catalog)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(catalog)) {
      return s.sorted().toList();
    }
  }

  /** SHA-256 of every file in the repository except uploads in progress and audit events. */
  private Map<String, String> repositoryContent() throws Exception {
    Map<String, String> content = new TreeMap<>();
    try (Stream<Path> s = Files.walk(repo)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String rel = repo.relativize(p).toString();
        if (!rel.startsWith(".incoming") && !rel.startsWith("audit/")) {
          content.put(
              rel,
              HexFormat.of()
                  .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    }
    return content;
  }

  @Test
  void backupThenRestoreLatest_everyTableMatchesAndAuditRecorded() throws Exception {
    CommandRun backup = run("backup", "--database", "todo");
    assertThat(backup.code()).as(backup.err()).isZero();
    assertThat(backup.out()).containsPattern("backup \\S+ of database 'todo': 6 tables, \\d+ rows");
    assertThat(records()).hasSize(1);
    String record = Files.readString(records().get(0));
    assertThat(record)
        .contains("\"todo.dump\"", "\"globals.sql\"", "\"rowCounts\"", "\"app.todos\" : 1000")
        .contains("\"snapshot\"", "\"serverVersion\"", "\"pgDumpVersion\"", "todo_owner");

    CommandRun restore =
        run("restore", "--backup-id", "latest", "--target-database", "todo_copy", "--create");
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(restore.out())
        .contains("app.todos", "1000")
        .doesNotContain("DIFFERS")
        .contains("every row count matches");
    assertThat(DbFingerprint.of(pg, "todo_copy")).isEqualTo(DbFingerprint.of(pg, "todo"));
    try (Stream<Path> audit = Files.walk(repo.resolve("audit"))) {
      assertThat(audit.filter(p -> p.toString().contains("restore")).toList()).hasSize(1);
    }

    CommandRun again = run("restore", "--backup-id", "latest", "--target-database", "todo_copy");
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.errorLine()).contains("already holds").contains("--clean");
  }

  @Test
  void backup_jsonLogLines_carryItsBackupId() throws Exception {
    Map<String, String> env = env();
    env.put("BACKUP_LOG_FORMAT", "json");

    CommandRun backup = run(env, "backup", "--database", "todo");

    assertThat(backup.code()).as(backup.err()).isZero();
    Matcher done = Pattern.compile("backup (\\S+) of database 'todo': ").matcher(backup.out());
    assertThat(done.find()).as(backup.out()).isTrue();
    List<String> logLines =
        backup
            .out()
            .lines()
            .filter(l -> l.startsWith("{") && l.contains("of database 'todo'"))
            .toList();
    assertThat(logLines)
        .hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(l -> assertThat(l).contains("\"backup_id\":\"" + done.group(1) + "\""));
  }

  @Test
  void restore_targetEndsUpDifferent_exit1ShowingTheTable() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    pg.createDatabase("todo_extra");
    pg.psql(
        "todo_extra",
        "CREATE TABLE public.extra (id int); INSERT INTO public.extra VALUES (1), (2)");

    CommandRun restore =
        run("restore", "--backup-id", "latest", "--target-database", "todo_extra", "--clean");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.out()).containsPattern("public\\.extra +- +2  DIFFERS");
    assertThat(restore.errorLine()).contains("1 table(s) differ").contains("public.extra");
  }

  @Test
  void backupTwoDatabases_latestNeedsSourceDatabase_andOneRecordEach() throws Exception {
    pg.createDatabase("notes");
    pg.psql("notes", "CREATE TABLE note (id int); INSERT INTO note VALUES (1), (2), (3)");

    CommandRun backup = run("backup", "--database", "todo,notes");
    assertThat(backup.code()).as(backup.err()).isZero();
    assertThat(records()).hasSize(2);

    CommandRun ambiguous =
        run("restore", "--backup-id", "latest", "--target-database", "x", "--create");
    assertThat(ambiguous.code()).isEqualTo(2);
    assertThat(ambiguous.errorLine()).contains("several databases").contains("--source-database");

    CommandRun restore =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--source-database",
            "notes",
            "--target-database",
            "notes_copy",
            "--create");
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(pg.psql("notes_copy", "SELECT count(*) FROM note")).isEqualTo("3");
  }

  @Test
  void restore_wrongKey_exit2OneLineNothingRestored() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Path other = dir.resolve("other-keyset.json");
    KeyEncryptionKeys.generateKeysetFile(other);
    Map<String, String> env = env();
    env.put("BACKUP_KEK_URI", other.toString());

    CommandRun restore =
        run(env, "restore", "--backup-id", "latest", "--target-database", "wrongkey", "--create");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.errorLine()).contains("wrong key").contains("nothing was restored");
    assertThat(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'wrongkey'"))
        .isEqualTo("0");
  }

  @Test
  void restore_recordedStoredSizeEdited_refusedBeforeTheTargetIsCreated() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Path record = records().get(0);
    String json = Files.readString(record);
    java.util.regex.Matcher size = Pattern.compile("\"storedSize\" : (\\d+)").matcher(json);
    assertThat(size.find()).isTrue();
    long stored = Long.parseLong(size.group(1));
    // a record as earlier versions wrote it (no seal, no marker), where the later checks catch the
    // edit; a sealed record is refused before that (TamperMatrixIT)
    Files.writeString(
        record,
        unsealed(json)
            .replaceFirst("\"storedSize\" : " + stored, "\"storedSize\" : " + (stored + 1)));
    Files.delete(repo.resolve("record-seals.json"));

    CommandRun restore =
        run("restore", "--backup-id", "latest", "--target-database", "size_edited", "--create");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.errorLine())
        .contains("record says " + (stored + 1))
        .contains("nothing was restored");
    assertThat(
            pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'size_edited'"))
        .isEqualTo("0");
  }

  @Test
  void restoreCreate_rowCountsDifferFromTheRecord_exit1AndTheCreatedDatabaseIsDropped()
      throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Path record = records().get(0);
    String json = Files.readString(record);
    assertThat(json).contains("\"app.todos\" : 1000");
    // a record as earlier versions wrote it (no seal, no marker), where the later checks catch the
    // edit; a sealed record is refused before that (TamperMatrixIT)
    Files.writeString(
        record, unsealed(json).replace("\"app.todos\" : 1000", "\"app.todos\" : 999"));
    Files.delete(repo.resolve("record-seals.json"));

    CommandRun restore =
        run("restore", "--backup-id", "latest", "--target-database", "counts_edited", "--create");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.errorLine()).contains("differ").contains("dropped again");
    assertThat(
            pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'counts_edited'"))
        .isEqualTo("0");
  }

  @Test
  void restoreCreate_partTamperedNearItsEnd_exit1AndNoDatabaseLeft() throws Exception {
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
        run("restore", "--backup-id", "latest", "--target-database", "tampered", "--create");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.errorLine()).contains("nothing was restored");
    assertThat(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'tampered'"))
        .isEqualTo("0");
  }

  @Test
  void restore_whereNoRepositoryIs_exit2AndCreatesNothing() throws Exception {
    Path mistyped = dir.resolve("no-such-repository");
    Map<String, String> env = env();
    env.put("BACKUP_STORAGE_URL", mistyped.toUri().toString());

    CommandRun restore =
        run(env, "restore", "--backup-id", "latest", "--target-database", "norepo", "--create");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("--storage-url").contains("no repository at");
    assertThat(mistyped).doesNotExist();
    assertThat(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'norepo'"))
        .isEqualTo("0");
  }

  @Test
  void backup_badInput_exitCodeAndOneClearLineWithoutThePassword() throws Exception {
    CommandRun unknown = run("backup", "--database", "nope");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.errorLine()).contains("'nope'").contains("does not exist");

    Map<String, String> wrongPassword = env();
    wrongPassword.put("PGPASSWORD", "not-" + PASSWORD);
    CommandRun auth = run(wrongPassword, "backup", "--database", "todo");
    assertThat(auth.code()).isEqualTo(2);
    assertThat(auth.errorLine()).contains("authentication failed");

    Map<String, String> unreachable = env();
    unreachable.put("PGPORT", Integer.toString(FreePort.find()));
    CommandRun down = run(unreachable, "backup", "--database", "todo");
    assertThat(down.code()).isEqualTo(1);
    assertThat(down.errorLine()).contains("unable to reach PostgreSQL server");

    Map<String, String> noDatabases = env();
    CommandRun none = run(noDatabases, "backup");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("BACKUP_DATABASES");

    assertThat(records()).isEmpty();
  }

  @Test
  void backup_pgDumpFails_noRecordExit1_nextRunSucceeds() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Map<String, String> before = repositoryContent();
    pg.psql(
        "todo",
        "CREATE ROLE limited LOGIN PASSWORD '"
            + PASSWORD
            + "';"
            + "GRANT USAGE ON SCHEMA app, audit, \"Mixed Case\" TO limited;"
            + "GRANT SELECT ON ALL TABLES IN SCHEMA app, \"Mixed Case\" TO limited;");
    Map<String, String> limited = env();
    limited.put("PGUSER", "limited");

    CommandRun failed = run(limited, "backup", "--database", "todo");

    assertThat(failed.code()).isEqualTo(1);
    assertThat(failed.errorLine()).contains("permission denied").contains("no record was written");
    assertThat(records()).hasSize(1);
    assertThat(repositoryContent()).containsAllEntriesOf(before);

    // The cause fixed (here: back to the backup user that may read everything).
    CommandRun next = run("backup", "--database", "todo");
    assertThat(next.code()).as(next.err()).isZero();
    assertThat(records()).hasSize(2);
  }

  @Test
  void backup_databaseKilledMidDump_noRecordExit1_nextRunSucceeds() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Map<String, String> before = repositoryContent();

    CompletableFuture<CommandRun> running =
        CompletableFuture.supplyAsync(() -> run("backup", "--database", "big"));
    awaitUploadInProgress();
    pg.kill();
    CommandRun killed = running.get(2, TimeUnit.MINUTES);
    pg.startAgain();

    assertThat(killed.code()).isEqualTo(1);
    assertThat(killed.errorLine()).contains("big").contains("no record was written");
    assertThat(records()).hasSize(1);
    assertThat(repositoryContent()).containsAllEntriesOf(before);

    CommandRun next = run("backup", "--database", "todo");
    assertThat(next.code()).as(next.err()).isZero();
    assertThat(records()).hasSize(2);
  }

  @Test
  void backup_processSigkilledMidUpload_noRecord_nextRunSucceeds() throws Exception {
    assertThat(run("backup", "--database", "todo").code()).isZero();
    Map<String, String> before = repositoryContent();

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "backup",
                "--database",
                "big")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    child.environment().putAll(env());
    Process process = child.start();
    try {
      awaitUploadInProgress();
      Processes.killTree(process.toHandle());
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      Processes.killTree(process.toHandle());
    }
    outputs.add(Files.readString(dir.resolve("child.log")));

    assertThat(records()).hasSize(1);
    assertThat(repositoryContent()).containsAllEntriesOf(before);
    CommandRun next = run("backup", "--database", "todo");
    assertThat(next.code()).as(next.err()).isZero();
    assertThat(records()).hasSize(2);
  }

  @Test
  void backup_jvmAloneSigkilledMidDump_pgDumpDiesWithItAndLeavesNoSession() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "backup",
                "--database",
                "big")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    child.environment().putAll(env());
    Process process = child.start();
    List<ProcessHandle> tools;
    try {
      awaitUploadInProgress();
      tools = process.toHandle().descendants().toList();
      assertThat(tools).isNotEmpty();
      process.destroyForcibly(); // SIGKILL of the JVM only: nothing of ours runs after it
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline
          && (tools.stream().anyMatch(ProcessHandle::isAlive)
              || !pg.psql(
                      "postgres",
                      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'")
                  .equals("0"))) {
        Thread.sleep(50);
      }
      assertThat(tools).noneMatch(ProcessHandle::isAlive);
      assertThat(
              pg.psql(
                  "postgres",
                  "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'"))
          .isEqualTo("0");
    } finally {
      Processes.killTree(process.toHandle());
    }
    outputs.add(Files.readString(dir.resolve("child.log")));
    assertThat(records()).isEmpty();
  }

  @Test
  void backup_repositoryFullMidUpload_noRecordExit1_nextRunSucceeds() throws Exception {
    assumeTrue(
        Processes.runningAsRoot(),
        "needs root to mount a small tmpfs that fills up mid-upload; skipped");
    Path small = Files.createDirectories(dir.resolve("small"));
    Processes.run(
            List.of("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small.toString()),
            Map.of(),
            Duration.ofSeconds(10))
        .checkSuccess();
    try {
      repo = small.resolve("repo");
      assertThat(run("backup", "--database", "todo").code()).isZero();
      Map<String, String> before = repositoryContent();

      CommandRun full = run("backup", "--database", "big");

      assertThat(full.code()).isEqualTo(1);
      assertThat(full.errorLine()).contains("big").contains("no record was written");
      assertThat(records()).hasSize(1);
      assertThat(repositoryContent()).containsAllEntriesOf(before);
      CommandRun next = run("backup", "--database", "todo");
      assertThat(next.code()).as(next.err()).isZero();
      assertThat(records()).hasSize(2);
    } finally {
      Processes.run(List.of("umount", "-l", small.toString()), Map.of(), Duration.ofSeconds(10));
    }
  }

  @Test
  void backup_repositoryReadOnly_refusedBeforeTheDumpExit1() throws Exception {
    assumeTrue(
        Processes.runningAsRoot(),
        "needs root to mount a tmpfs and remount it read-only (root ignores file modes); skipped");
    Path mounted = Files.createDirectories(dir.resolve("ro"));
    Processes.run(
            List.of("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mounted.toString()),
            Map.of(),
            Duration.ofSeconds(10))
        .checkSuccess();
    try {
      repo = mounted.resolve("repo");
      assertThat(run("backup", "--database", "todo").code()).isZero();
      Map<String, String> before = repositoryContent();
      Processes.run(
              List.of("mount", "-o", "remount,ro", mounted.toString()),
              Map.of(),
              Duration.ofSeconds(10))
          .checkSuccess();

      CommandRun refused = run("backup", "--database", "big");

      assertThat(refused.code()).isEqualTo(1);
      assertThat(refused.errorLine())
          .contains("does not take new objects")
          .contains("checked before the backup started");
      assertThat(repositoryContent()).isEqualTo(before);
    } finally {
      Processes.run(List.of("umount", "-l", mounted.toString()), Map.of(), Duration.ofSeconds(10));
    }
  }

  /**
   * Waits until a part of a backup is being written: an upload of more than a few kilobytes is in
   * progress (the pre-flight write probe passes through the same directory, but is a few bytes).
   */
  private void awaitUploadInProgress() throws Exception {
    Path incoming = repo.resolve(".incoming\\");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.isDirectory(incoming)) {
        try (Stream<Path> s = Files.list(incoming)) {
          // more than the pre-flight probe or a record: a part's first encrypted segment
          if (s.anyMatch(p -> p.toFile().length() > 4096)) {
            return;
          }
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no upload started within 60 s");
  }

  /** A sealed record's JSON without its seal. */
  static String unsealed(String json) {
    return json.replaceFirst(",\\s*\"seal\" : \"[^\"]*\"", "");
  }
}
