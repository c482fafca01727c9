package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime half of the configuration fuzz: settings that parse but fail when used. An
 * unreachable server and a read-only repository end in exit 1 (a runtime failure), a password the
 * server refuses in exit 2 naming {@code PGPASSWORD} (a configuration problem); each with one
 * {@code error:} line, no stack trace without {@code --debug}, and no record written.
 */
class RuntimeFailuresIT {
  private static final String PASSWORD = "Runtime-failures-pw";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path keyset;
  private static int cases;

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword(PASSWORD).start();
    pg.createDatabase("todo");
    pg.psql("todo", "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
    System.out.printf(
        "reliability: runtime failures: %d cases (unreachable server and read-only repository exit"
            + " 1, wrong password exit 2 naming PGPASSWORD): one error line, no stack trace, no"
            + " record%n",
        cases);
  }

  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, Supplier<JobMain> job, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.get().execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, String> env(Path repo) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static void assertRuntimeFailure(Run r, Path repo, String... named) throws Exception {
    assertFailure(r, 1, repo, named);
  }

  private static void assertFailure(Run r, int code, Path repo, String... named) throws Exception {
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(code);
    assertThat(r.err().lines().filter(l -> l.startsWith("error: "))).hasSize(1);
    assertThat(r.err()).contains(named);
    assertThat(r.out() + r.err()).doesNotContain("\tat ", PASSWORD);
    if (Files.isDirectory(repo)) {
      assertThat(new Catalog(new LocalBlobStore(repo)).list(null)).isEmpty();
    }
    cases++;
  }

  @Test
  void backup_unreachableServer_exits1NamingTheServerAndWritesNoRecord() throws Exception {
    Path repo = dir.resolve("unreachable");
    Map<String, String> env = env(repo);
    env.put("PGHOST", "127.0.0.1");
    env.put("PGPORT", Integer.toString(FreePort.find()));

    assertRuntimeFailure(
        run(env, io.aido.backup.db.Main::new, "backup", "--database", "todo"), repo, "error: ");
  }

  @Test
  void backup_wrongPassword_exits2NamingThePasswordSettingAndWritesNoRecord() throws Exception {
    Path repo = dir.resolve("wrong-password");
    Map<String, String> env = env(repo);
    env.put("PGPASSWORD", "not-" + PASSWORD);

    // a password the server refuses is a configuration problem: exit 2, naming the setting
    assertFailure(
        run(env, io.aido.backup.db.Main::new, "backup", "--database", "todo"),
        2,
        repo,
        "authentication failed",
        "PGPASSWORD");
  }

  @Test
  void backupAndApply_readOnlyRepository_exit1AndWriteNothing() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("read-only"));
    Processes.Result mount =
        Processes.run(
            List.of("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", repo.toString()),
            Map.of(),
            Duration.ofSeconds(30));
    assumeTrue(mount.exitCode() == 0, "cannot mount a read-only tmpfs here: " + mount.stderr());
    try {
      assertRuntimeFailure(
          run(env(repo), io.aido.backup.db.Main::new, "backup", "--database", "todo"),
          repo,
          "Read-only file system");
      try (var entries = Files.list(repo)) {
        assertThat(entries).isEmpty();
      }
    } finally {
      Processes.run(List.of("umount", "-l", repo.toString()), Map.of(), Duration.ofSeconds(30));
    }
  }
}
