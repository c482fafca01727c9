package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases: {@code restore} and {@code verify} hold a lease (an object with its holder and expiry) on
 * the backup they read; retention keeps a leased backup and says who holds it, and a second run on
 * the same backup names the first. The readers are stopped right after taking their lease (the
 * {@code read-leased} and {@code verify-leased} kill points), which leaves the lease in place until
 * it expires, as a reader that is still reading would.
 */
class LeaseIT {
  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path repo;
  private static Path keyset;

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword("Lease-pw").start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 1000) i;");
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static CommandRun inProcess(Supplier<JobMain> job, String... args) {
    return CommandRun.of(job.get()::execute, env(), args);
  }

  /** Runs a job as its own JVM that kills itself at {@code point}; returns its exit code. */
  private static int killedAt(String point, Class<?> main, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-D" + KillPoints.PROPERTY + "=" + point,
                main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder b =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("jobs.log").toFile()));
    b.environment().putAll(env());
    Process p = b.start();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  /** The holders of the leases on {@code id}, from the lease objects' names. */
  private static List<String> holders(String id) throws IOException {
    Path leases = repo.resolve("lease/db-logical/" + id);
    if (!Files.isDirectory(leases)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(leases)) {
      return s.map(p -> p.getFileName().toString().replace(".json", "")).sorted().toList();
    }
  }

  private static List<String> backupIds() throws IOException {
    try (Stream<Path> s = Files.list(repo.resolve("catalog/db-logical"))) {
      return s.map(p -> p.getFileName().toString().replace(".json", "")).sorted().toList();
    }
  }

  @Test
  void restoreAndVerifyHoldLeases_retentionKeepsTheBackupAndASecondRunNamesTheHolder()
      throws Exception {
    Supplier<JobMain> db = io.aido.backup.db.Main::new;
    assertThat(inProcess(db, "backup", "--database", "todo").code()).isZero();
    assertThat(inProcess(db, "backup", "--database", "todo").code()).isZero();
    List<String> ids = backupIds();
    String older = ids.get(0);

    // a restore of the older backup, stopped while it holds its lease
    assertThat(
            killedAt(
                "read-leased",
                io.aido.backup.db.Main.class,
                "restore",
                "--backup-id",
                older,
                "--target-database",
                "first",
                "--create"))
        .isEqualTo(137);
    List<String> restoreHolders = holders(older);
    assertThat(restoreHolders).singleElement().asString().startsWith("restore-");
    String holder = restoreHolders.get(0);

    // a verification, stopped while it holds its lease on the first backup it reads
    assertThat(
            killedAt(
                "verify-leased",
                io.aido.backup.verify.Main.class,
                "verify",
                "--all",
                "--no-freshness"))
        .isEqualTo(137);
    List<String> verifyHolders = new ArrayList<>();
    for (String id : ids) {
      holders(id).stream().filter(h -> h.startsWith("verify-")).forEach(verifyHolders::add);
    }
    assertThat(verifyHolders).as("the killed verification's lease").hasSize(1);

    // a restore test (verify --restore-test), stopped while it holds its lease on the first backup
    // it restores: the integrity pass reaches the point once per backup, the restore test after
    assertThat(
            killedAt(
                "verify-leased:" + (ids.size() + 1),
                io.aido.backup.verify.Main.class,
                "verify",
                "--all",
                "--no-freshness",
                "--restore-test"))
        .isEqualTo(137);
    List<String> drillHolders = new ArrayList<>();
    for (String id : ids) {
      holders(id).stream()
          .filter(h -> h.startsWith("verify-") && !verifyHolders.contains(h))
          .forEach(drillHolders::add);
    }
    assertThat(drillHolders).as("the killed restore test's lease").hasSize(1);
    verifyHolders.addAll(drillHolders);

    // retention would remove the older backup, but keeps it and names the restore
    CommandRun apply =
        inProcess(
            io.aido.backup.retention.Main::new,
            "apply",
            "--keep-last",
            "1",
            "--keep-daily",
            "0",
            "--keep-monthly",
            "0");
    assertThat(apply.code()).as(apply.all()).isZero();
    assertThat(apply.all()).contains("a restore by '" + holder + "'");
    assertThat(backupIds()).contains(older);

    // a second restore of the same backup says who else holds it, and releases its own lease
    CommandRun second =
        inProcess(db, "restore", "--backup-id", older, "--target-database", "second", "--create");
    assertThat(second.code()).as(second.all()).isZero();
    assertThat(second.all()).contains("also held by a restore by '" + holder + "'");
    assertThat(holders(older))
        .as("only the stopped runs' leases")
        .allMatch(h -> h.equals(holder) || verifyHolders.contains(h))
        .contains(holder);

    // a verification of it names the restore too, and leaves no lease of its own
    CommandRun verify =
        inProcess(io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness");
    assertThat(verify.code()).as(verify.all()).isZero();
    assertThat(verify.all()).contains("also held by a restore by '" + holder + "'");
    for (String id : ids) {
      assertThat(holders(id)).allMatch(h -> !h.startsWith("verify-") || verifyHolders.contains(h));
    }
    System.out.printf(
        "reliability: leases: a restore and a verify stopped while holding their leases; retention"
            + " kept the leased backup naming '%s'; a second restore and a verify named it too%n",
        holder);
  }
}
