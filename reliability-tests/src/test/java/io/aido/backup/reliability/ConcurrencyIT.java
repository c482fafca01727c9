package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrency: the jobs as separate processes on one repository at the same time, as overlapping
 * CronJobs and a person's ad-hoc run make them. Two backups of the same database at once, with
 * retention (twice, at once) and verify running while they stream. Afterwards: both backups are
 * listed and verify in full, no record was overwritten (each record's bytes are what its writer
 * committed), and retention removed nothing of a backup that was still being written.
 */
class ConcurrencyIT {
  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path repo;
  private static Path keyset;

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword("Concurrency-pw").start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 200000)"
            + " i;");
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private static Process start(Class<?> main, String... args) throws IOException {
    return start("jobs", main, args);
  }

  private static Process start(String log, Class<?> main, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder b =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(log + ".log").toFile()));
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    b.environment().putAll(env);
    return b.start();
  }

  private static int await(Process p) throws Exception {
    try {
      assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("ended in time").isTrue();
      return p.exitValue();
    } finally {
      Processes.killTree(p.toHandle());
    }
  }

  private static Map<String, String> records() throws Exception {
    Map<String, String> records = new TreeMap<>();
    Path catalog = repo.resolve("catalog");
    if (!Files.isDirectory(catalog)) {
      return records;
    }
    try (Stream<Path> s = Files.walk(catalog)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        records.put(
            catalog.relativize(p).toString(),
            HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    }
    return records;
  }

  @Test
  void twoBackupsRetentionTwiceAndVerify_atOnce_bothBackupsCompleteAndNothingOfThemIsRemoved()
      throws Exception {
    Class<?> db = io.aido.backup.db.Main.class;
    Class<?> retention = io.aido.backup.retention.Main.class;
    Class<?> verify = io.aido.backup.verify.Main.class;
    assertThat(await(start(db, "backup", "--database", "todo"))).isZero();
    Map<String, String> before = records();

    Process first = start("first", db, "backup", "--database", "todo");
    Process second = start("second", db, "backup", "--database", "todo");
    // while both stream: retention twice (the default grace protects unfinished backups) and verify
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && !Files.isDirectory(repo.resolve("data/db-logical"))) {
      Thread.sleep(20);
    }
    Process applyA = start(retention, "apply", "--keep-last", "1", "--keep-daily", "0");
    Process applyB = start(retention, "apply", "--keep-last", "1", "--keep-daily", "0");
    Process verifying = start(verify, "verify", "--no-freshness");

    assertThat(await(first)).as("first backup; see %s", dir).isZero();
    assertThat(await(second)).as("second backup").isZero();
    assertThat(await(applyA)).as("first retention run").isZero();
    assertThat(await(applyB)).as("second retention run").isZero();
    assertThat(await(verifying)).as("verify during the backups").isZero();

    // a backup commits only when every part it names is there with its size: both committing
    // means retention removed nothing of them while they streamed
    java.util.regex.Pattern committed =
        java.util.regex.Pattern.compile("backup (\\S+) of database 'todo'");
    List<String> ids = new ArrayList<>();
    for (String log : List.of("first", "second")) {
      java.util.regex.Matcher m = committed.matcher(Files.readString(dir.resolve(log + ".log")));
      assertThat(m.find()).as(log + " backup printed its id").isTrue();
      ids.add(m.group(1));
    }
    assertThat(ids).doesNotHaveDuplicates();
    Map<String, String> after = records();
    assertThat(await(start(verify, "verify", "--all", "--no-freshness")))
        .as("every listed backup reads in full")
        .isZero();
    // a record is never rewritten: the bytes of each listed one are what was committed
    before.forEach((k, v) -> assertThat(after.get(k)).as(k).isIn(null, v));
    System.out.printf(
        "reliability: concurrency: 2 backups of one database, 2 retention runs and verify at once:"
            + " both backups committed under distinct ids, every listed backup verifies, 0 records"
            + " overwritten%n");
  }
}
