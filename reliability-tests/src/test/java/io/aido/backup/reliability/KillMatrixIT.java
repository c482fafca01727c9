package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill matrix: each writing command of the database and retention jobs ({@code backup}, {@code
 * base-backup}, {@code apply}) runs as its own JVM, as in a container, and is killed with SIGKILL
 * at points spread over its run: during JVM start (before the first part), while parts stream, and
 * around the record write. The points are spread by time over the measured length of an unkilled
 * run, not named in the code, so each CI run hits somewhat different instants.
 *
 * <p>After every kill: every listed backup still verifies ({@code verify}, which reads each new
 * backup in full), no backup listed before is gone, and at the end the next run of each command
 * succeeds and retention's leftover cleanup removes everything the killed runs left. Figures are
 * printed for docs/reliability.md.
 */
class KillMatrixIT {
  private static final String PASSWORD = "Kill-matrix-pw";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path repo;
  private static Path keyset;

  private int killPoints;
  private int ranThrough;
  private int brokenButListed;
  private int lost;

  @BeforeAll
  static void start() throws Exception {
    pg =
        PgCluster.builder()
            .superuserPassword(PASSWORD)
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 60000)"
            + " i;");
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

  /** The job as a process of its own, as it runs in a container. */
  private static Process startJob(Class<?> main, List<String> args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(args);
    ProcessBuilder b =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("jobs.log").toFile()));
    b.environment().putAll(env());
    return b.start();
  }

  private static long runToEnd(Class<?> main, List<String> args) throws Exception {
    long t0 = System.nanoTime();
    Process p = startJob(main, args);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s %s: see %s", main, args, dir.resolve("jobs.log")).isZero();
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  private static int inProcess(Supplier<JobMain> job, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      int code =
          job.get().execute(new JobContext(Environment.of(env()), o, o, Clock.systemUTC()), args);
      if (code != 0) {
        System.out.println(out.toString(StandardCharsets.UTF_8));
      }
      return code;
    }
  }

  private static Set<String> records() throws IOException {
    Set<String> ids = new TreeSet<>();
    Path catalog = repo.resolve("catalog");
    if (!Files.isDirectory(catalog)) {
      return ids;
    }
    try (Stream<Path> s = Files.walk(catalog)) {
      s.filter(Files::isRegularFile)
          .map(p -> catalog.relativize(p).toString())
          .filter(n -> n.endsWith(".json"))
          .forEach(ids::add);
    }
    return ids;
  }

  /** Data directories and uploads in progress that no record names: what killed runs left. */
  private static List<String> leftovers() throws IOException {
    List<String> left = new ArrayList<>();
    Set<String> recorded = records();
    Path data = repo.resolve("data");
    if (Files.isDirectory(data)) {
      try (Stream<Path> kinds = Files.list(data)) {
        for (Path kind : kinds.toList()) {
          try (Stream<Path> ids = Files.list(kind)) {
            for (Path id : ids.toList()) {
              String record = kind.getFileName() + "/" + id.getFileName() + ".json";
              if (!recorded.contains(record)) {
                left.add("data/" + record.replace(".json", ""));
              }
            }
          }
        }
      }
    }
    Path incoming = repo.resolve(".incoming\\");
    if (Files.isDirectory(incoming)) {
      try (Stream<Path> s = Files.list(incoming)) {
        s.forEach(p -> left.add(".incoming/" + p.getFileName()));
      }
    }
    return left;
  }

  /** Kills one run of {@code args} after {@code delayMillis} and checks what it left. */
  private void killAt(Class<?> main, List<String> args, long delayMillis, boolean removes)
      throws Exception {
    Set<String> before = records();
    Process p = startJob(main, args);
    boolean ended = p.waitFor(delayMillis, TimeUnit.MILLISECONDS);
    if (ended) {
      ranThrough++;
    } else {
      p.destroyForcibly(); // SIGKILL of the JVM: no shutdown hook, no clean-up of ours runs
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      killPoints++;
    }
    Set<String> after = records();
    if (!removes && !after.containsAll(before)) {
      lost++;
    }
    // verify reads every backup not verified before in full: the ones this run may have listed
    int verify = inProcess(io.aido.backup.verify.Main::new, "verify", "--no-freshness");
    if (verify != 0) {
      brokenButListed++;
    }
    Processes.killTree(p.toHandle());
  }

  /**
   * Kills runs of {@code args} until {@code points} of them were killed while running: the delays
   * cycle from early in JVM start to nine tenths of an unkilled run, so the points spread over the
   * whole run whatever the machine's speed; a run that ended before its kill is counted apart.
   */
  private void matrix(Class<?> main, List<String> args, int points, boolean removes)
      throws Exception {
    long length = runToEnd(main, args);
    int killedBefore = killPoints;
    for (int attempt = 0; killPoints - killedBefore < points && attempt < 3 * points; attempt++) {
      killAt(main, args, 50 + (length * 9 / 10) * (attempt % points) / points, removes);
    }
    runToEnd(main, args); // the next run succeeds
  }

  @Test
  void everyWritingCommandKilledAtManyPoints_nothingBrokenListedNothingLost_leftoversCleaned()
      throws Exception {
    Class<?> db = io.aido.backup.db.Main.class;
    Class<?> retention = io.aido.backup.retention.Main.class;
    matrix(db, List.of("backup", "--database", "todo"), 22, false);
    matrix(db, List.of("base-backup"), 20, false);
    matrix(
        retention,
        List.of("apply", "--keep-last", "3", "--keep-daily", "0", "--keep-monthly", "0"),
        8,
        true);

    int cleanup =
        inProcess(
            io.aido.backup.retention.Main::new,
            "apply",
            "--keep-last",
            "1000",
            "--leftover-grace",
            "PT0S");
    List<String> left = leftovers();
    System.out.printf(
        "reliability: kill matrix: %d kill points (backup, base-backup, apply; %d more runs ended"
            + " before their kill), %d broken-but-listed, %d lost, %d leftovers after retention %s%n",
        killPoints, ranThrough, brokenButListed, lost, left.size(), left);

    assertThat(cleanup).isZero();
    assertThat(killPoints).isGreaterThanOrEqualTo(50);
    assertThat(brokenButListed).isZero();
    assertThat(lost).isZero();
    assertThat(left).isEmpty();
    assertThat(inProcess(io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness"))
        .isZero();
  }
}
