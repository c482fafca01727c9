package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replicate} killed with SIGKILL at several points of a copy, then run again, end to end on
 * real parts: a real PostgreSQL, {@code backup} (real pg_dump) into a file:// primary, the
 * replicate job as a child JVM (SIGKILL must hit a whole process) into a file:// secondary, then
 * {@code verify --all} and {@code restore} (real pg_restore) against the secondary.
 *
 * <p>The kill points are reached by watching the secondary: while the first part of a backup is
 * being written (a temporary upload file exists), once a part exists without its record, and once
 * the first record exists while others are still missing. The child runs interpreted ({@code
 * -Xint}) so that hashing and copying are slow enough for each point to be seen before the run
 * ends; nothing else differs.
 */
class ReplicateKilledIT {
  private static PgCluster pg;

  @TempDir Path dir;

  @BeforeAll
  static void startCluster() {
    pg = PgCluster.start();
    pg.createDatabase("todo");
    // random bytes do not compress, so each dump stores a few MiB: slow enough to kill mid-copy
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, title text, done boolean, noise bytea);"
            + "INSERT INTO items SELECT i, 'item ' || i, i % 3 = 0,"
            + " (SELECT string_agg(decode(md5(random()::text || i || j), 'hex'), ''::bytea)"
            + " FROM generate_series(1, 16) j) FROM generate_series(1, 12000) i;");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  private Map<String, String> env(Path primary, Path keyset) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", primary.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static String run(JobMain main, Map<String, String> env, String... args) {
    CommandRun run = CommandRun.of(main::execute, env, args);
    assertThat(run.code()).as("%s: %s", String.join(" ", args), run.all()).isZero();
    return run.out();
  }

  private static Process startReplicate(Map<String, String> env, Path secondary, Path log)
      throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder b =
        new ProcessBuilder(
            java,
            "-Xint",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "replicate",
            "--secondary-url",
            secondary.toUri().toString());
    b.environment().putAll(env);
    b.redirectErrorStream(true);
    b.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return b.start();
  }

  /** Files under {@code root}'s {@code sub} directory, recursively, or none. */
  private static List<Path> files(Path root, String sub) throws IOException {
    Path start = root.resolve(sub);
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(start)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  /**
   * Starts a copy, waits (with a deadline) until {@code point} holds for the secondary, and kills
   * the process with SIGKILL.
   *
   * @return whether the kill landed while the copy was running at that point
   */
  private static boolean killAt(
      Map<String, String> env, Path secondary, Path log, Predicate<Path> point) throws Exception {
    Process p = startReplicate(env, secondary, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    boolean reached = false;
    while (p.isAlive() && System.nanoTime() < deadline) {
      if (point.test(secondary)) {
        reached = true;
        break;
      }
      Thread.onSpinWait();
    }
    boolean killed = reached && p.isAlive();
    p.destroyForcibly(); // SIGKILL
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return killed;
  }

  private static Predicate<Path> uploadInProgress() {
    return s -> {
      try {
        return !files(s, LocalBlobStore.INCOMING).isEmpty() && files(s, "catalog").isEmpty();
      } catch (IOException e) {
        return false;
      }
    };
  }

  private static Predicate<Path> partWithoutRecord(int records) {
    return s -> {
      try {
        return files(s, "catalog").size() == records && files(s, "data").size() > 2 * records;
      } catch (IOException e) {
        return false;
      }
    };
  }

  /** Every backup the secondary lists is whole: each part there with its size and hash. */
  private static void assertEveryListedBackupWhole(LocalBlobStore secondary, List<BackupRecord> all)
      throws Exception {
    for (BackupRecord r : new Catalog(secondary).list(null)) {
      assertThat(all).contains(r);
      for (PartRecord p : r.parts()) {
        Optional<ObjectInfo> info = secondary.stat(ObjectKey.of(p.object()));
        assertThat(info).as(p.object()).isPresent();
        assertThat(info.get().size()).isEqualTo(p.storedSize());
        try (InputStream in = secondary.open(ObjectKey.of(p.object()))) {
          assertThat(
                  HexFormat.of()
                      .formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes())))
              .isEqualTo(p.storedSha256());
        }
      }
    }
  }

  @Test
  void replicate_killedAtSeveralPoints_neverListsAPartialBackupAndTheNextRunCompletes()
      throws Exception {
    Path primary = dir.resolve("primary");
    Path secondary = dir.resolve("secondary");
    Path keyset = dir.resolve("keyset.json");
    Path log = dir.resolve("replicate.log");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> env = env(primary, keyset);
    BackupRecord last = null;
    for (int i = 0; i < 3; i++) {
      pg.psql("todo", "UPDATE items SET done = NOT done WHERE id % 7 = " + i);
      List<BackupRecord> before = new Catalog(new LocalBlobStore(primary)).list(null);
      run(new io.aido.backup.db.Main(), env, "backup", "--databases", "todo");
      List<BackupRecord> after =
          new ArrayList<>(new Catalog(new LocalBlobStore(primary)).list(null));
      after.removeAll(before);
      assertThat(after).hasSize(1);
      last = after.get(0);
    }
    List<BackupRecord> all = new Catalog(new LocalBlobStore(primary)).list(null);
    assertThat(all).hasSize(3);
    LocalBlobStore copy = new LocalBlobStore(secondary);

    List<Boolean> landed = new ArrayList<>();
    landed.add(killAt(env, secondary, log, uploadInProgress()));
    assertEveryListedBackupWhole(copy, all);
    landed.add(killAt(env, secondary, log, partWithoutRecord(0)));
    assertEveryListedBackupWhole(copy, all);
    landed.add(killAt(env, secondary, log, partWithoutRecord(1)));
    assertEveryListedBackupWhole(copy, all);
    assertThat(landed)
        .as("kills that hit a running copy: %s", Files.readString(log))
        .contains(true);
    assertThat(new Catalog(copy).list(null)).hasSizeLessThan(3);

    String summary =
        run(new Main(), env, "replicate", "--secondary-url", secondary.toUri().toString());
    assertThat(summary).contains("lag 0 s");
    assertThat(new Catalog(copy).list(null)).containsExactlyElementsOf(all);
    assertEveryListedBackupWhole(copy, all);

    Map<String, String> onSecondary = new HashMap<>(env);
    onSecondary.put("BACKUP_STORAGE_URL", secondary.toUri().toString());
    run(new io.aido.backup.verify.Main(), onSecondary, "verify", "--all");
    run(
        new io.aido.backup.db.Main(),
        onSecondary,
        "restore",
        // by id: backups started within the same second do not sort by time
        "--backup-id",
        last.id().value(),
        "--target-database",
        "todo_from_secondary",
        "--create");
    String fingerprint =
        "SELECT count(*), md5(string_agg(id || title || done || encode(noise, 'hex'), ','"
            + " ORDER BY id)) FROM items";
    assertThat(pg.psql("todo_from_secondary", fingerprint)).isEqualTo(pg.psql("todo", fingerprint));
  }
}
