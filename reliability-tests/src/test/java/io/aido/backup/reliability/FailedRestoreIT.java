package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A failed {@code restore --create} leaves nothing behind (issue 14, lead 1): no database under the
 * target's name or a temporary one, nothing in the spool directory. The failures are the ones a
 * damaged repository causes: a part deleted, and row counts that differ from the record's; each
 * with {@code --jobs 1} (restored under the target's name, dropped on failure) and {@code --jobs 2}
 * (restored under a temporary name, renamed only on success).
 */
class FailedRestoreIT {
  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path keyset;

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword("Failed-restore-pw").start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 500) i;");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private static Map<String, String> env(Path repo) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static int run(Path repo, StringBuilder output, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      int code =
          new io.aido.backup.db.Main()
              .execute(new JobContext(Environment.of(env(repo)), o, o, Clock.systemUTC()), args);
      output.append(out.toString(StandardCharsets.UTF_8));
      return code;
    }
  }

  private static String databases() {
    return pg.psql("postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");
  }

  private static Path onlyFile(Path root, String name) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
    }
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @ParameterizedTest(name = "{0}, --jobs {1}")
  @CsvSource({"part deleted, 1", "part deleted, 2", "row counts differ, 1", "row counts differ, 2"})
  void restoreCreate_damagedBackup_exit1AndLeavesNoDatabaseAndNoSpool(String damage, int jobs)
      throws Exception {
    Path repo = dir.resolve("repo-" + damage.replace(' ', '-') + "-" + jobs);
    Path spool = dir.resolve("spool-" + damage.replace(' ', '-') + "-" + jobs);
    Files.createDirectories(spool);
    StringBuilder out = new StringBuilder();
    assertThat(run(repo, out, "backup", "--database", "todo")).as("%s", out).isZero();
    if (damage.equals("part deleted")) {
      Files.delete(onlyFile(repo.resolve("data"), "todo.dump"));
    } else {
      Path record;
      try (Stream<Path> s = Files.walk(repo.resolve("catalog"))) {
        record = s.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
      }
      String json = Files.readString(record);
      assertThat(json).contains("\"public.items\" : 500");
      Files.writeString(record, json.replace("\"public.items\" : 500", "\"public.items\" : 499"));
    }
    String before = databases();

    out.setLength(0);
    int code =
        run(
            repo,
            out,
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "restored",
            "--create",
            "--jobs",
            Integer.toString(jobs),
            "--spool-dir",
            spool.toString());

    assertThat(code).as("%s", out).isEqualTo(1);
    assertThat(databases()).as("databases after the failed restore").isEqualTo(before);
    assertThat(files(spool)).as("spool after the failed restore").isEmpty();
    System.out.printf(
        "reliability: failed restore --create (%s, --jobs %d): exit %d, no database, empty spool%n",
        damage, jobs, code);
  }
}
