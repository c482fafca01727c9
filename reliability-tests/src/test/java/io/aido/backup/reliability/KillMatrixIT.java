package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.manifests.MockCluster;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Kill matrix: every writing command of the database, manifests and retention jobs ({@code
 * replicate}, {@code rewrap}, {@code backup}, {@code base-backup}, Dapr's {@code snapshot} and
 * {@code export} against fabric8's mock API server, {@code wal-archive}, retention's {@code apply})
 * runs as its own JVM, as in a container, and is killed with SIGKILL in three ways:
 *
 * <ul>
 *   <li>by time: at delays cycling from JVM start to nine tenths of an unkilled run, so each CI run
 *       hits somewhat different instants;
 *   <li>at named points: the JVM kills itself where {@link KillPoints} is armed (before the first
 *       part, between parts, half-way through the record write, after the record, between the
 *       record and the data of a removal, around a rewrap's replacement, before a WAL object);
 *   <li>the child alone: {@code pg_dump}, {@code pg_dumpall} or {@code pg_basebackup} is killed
 *       while the JVM goes on, which must then fail cleanly and list nothing.
 * </ul>
 *
 * <p>After every kill: every listed backup still verifies ({@code verify}, which reads each new
 * backup in full; {@code verify --all} after a rewrap, which touches old ones), no backup listed
 * before is gone, and at the end the next run of each command succeeds and retention's leftover
 * cleanup removes everything the killed runs left, in the repository and in every replication
 * target. Figures are printed for docs/reliability.md.
 */
class KillMatrixIT {
  private static final String PASSWORD = "Kill-matrix-pw";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static MockCluster cluster;
  private static DaprCluster dapr;
  private static Path repo;
  private static Path keyset;

  /** Kill points by command, each "time", "named" or "child". */
  private final Map<String, int[]> killed = new LinkedHashMap<>();

  private int ranThrough;
  private int brokenButListed;
  private int lost;
  private int failedButListed;
  private int secondaries;
  private final List<String> unexpected = new ArrayList<>();

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
    if (cluster != null) {
      cluster.close();
    }
    if (dapr != null) {
      dapr.close();
    }
  }

  /** A Kubernetes API (fabric8's mock server) with a namespace of objects for {@code export}. */
  private static Path startCluster() throws IOException {
    cluster = MockCluster.start();
    try (KubernetesClient client = cluster.client()) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("todo").endMetadata().build())
          .create();
      for (int i = 0; i < 40; i++) {
        client
            .configMaps()
            .inNamespace("todo")
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("settings-" + i)
                    .endMetadata()
                    .addToData("body", "x".repeat(2000) + i)
                    .build())
            .create();
      }
    }
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s"}}]
        users: [{name: test, user: {token: test-token}}]
        contexts: [{name: mock, context: {cluster: mock, user: test}}]
        current-context: mock
        """
            .formatted(cluster.url()));
    return kubeconfig;
  }

  private static Map<String, String> env(Path repository) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repository.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  /** A writing command as a process of its own, as it runs in a container. */
  private record Job(String name, Class<?> main, List<String> args, Map<String, String> extraEnv) {
    Job(String name, Class<?> main, List<String> args) {
      this(name, main, args, Map.of());
    }

    Process start(String killAt) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command =
          new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp"));
      command.add(System.getProperty("java.class.path"));
      if (killAt != null) {
        command.add("-D" + KillPoints.PROPERTY + "=" + killAt);
      }
      command.add(main.getName());
      command.addAll(args);
      ProcessBuilder b =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("jobs.log").toFile()));
      b.environment().putAll(env(repo));
      b.environment().putAll(extraEnv);
      return b.start();
    }
  }

  private static Job replicate(Path secondary) {
    return new Job(
        "replicate",
        io.aido.backup.retention.Main.class,
        List.of("replicate", "--secondary-url", secondary.toUri().toString()));
  }

  private static long runToEnd(Job job) throws Exception {
    long t0 = System.nanoTime();
    Process p = job.start(null);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: see %s", job, dir.resolve("jobs.log")).isZero();
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  private static int inProcess(Path repository, Supplier<JobMain> job, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      int code =
          job.get()
              .execute(
                  new JobContext(Environment.of(env(repository)), o, o, Clock.systemUTC()), args);
      if (code != 0) {
        System.out.println(out.toString(StandardCharsets.UTF_8));
      }
      return code;
    }
  }

  private static Set<String> records(Path repository) throws IOException {
    Set<String> ids = new TreeSet<>();
    Path catalog = repository.resolve("catalog");
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
  private static List<String> leftovers(Path repository) throws IOException {
    List<String> left = new ArrayList<>();
    Set<String> recorded = records(repository);
    Path data = repository.resolve("data");
    if (Files.isDirectory(data)) {
      try (Stream<Path> kinds = Files.list(data)) {
        for (Path kind : kinds.toList()) {
          try (Stream<Path> ids = Files.list(kind)) {
            for (Path id : ids.toList()) {
              String record = kind.getFileName() + "/" + id.getFileName() + ".json";
              if (!recorded.contains(record)) {
                left.add(repository.getFileName() + "/data/" + record.replace(".json", ""));
              }
            }
          }
        }
      }
    }
    Path incoming = repository.resolve(".incoming\\");
    if (Files.isDirectory(incoming)) {
      try (Stream<Path> s = Files.list(incoming)) {
        s.forEach(p -> left.add(repository.getFileName() + "/.incoming/" + p.getFileName()));
      }
    }
    return left;
  }

  /** How one attempt is killed. */
  private interface Kill {
    /** Kills {@code p} (or lets it run); returns the kind of kill point, or empty if it ended. */
    Optional<String> apply(Process p) throws Exception;
  }

  private static Kill byTime(long delayMillis) {
    return p -> {
      if (p.waitFor(delayMillis, TimeUnit.MILLISECONDS)) {
        return Optional.empty();
      }
      p.destroyForcibly(); // SIGKILL of the JVM: no shutdown hook, no clean-up of ours runs
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      return Optional.of("time");
    };
  }

  /** The JVM killed itself at the armed named point (exit 137), or ran through (exit 0). */
  private Kill named() {
    return p -> {
      assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
      if (p.exitValue() == 137) {
        return Optional.of("named");
      }
      if (p.exitValue() != 0) {
        unexpected.add("named point: exit " + p.exitValue());
      }
      return Optional.empty();
    };
  }

  /**
   * Kills the first child whose program is {@code tool}, {@code delayMillis} after it appeared; the
   * JVM must then fail (exit 1) and list nothing new.
   */
  private Kill child(String tool, long delayMillis) {
    return p -> {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      Optional<ProcessHandle> found = Optional.empty();
      while (found.isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
        found = p.toHandle().descendants().filter(h -> isRun(h, tool)).findFirst();
        if (found.isEmpty()) {
          Thread.sleep(5);
        }
      }
      if (found.isEmpty()) {
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return Optional.empty();
      }
      Thread.sleep(delayMillis);
      ProcessHandle tool1 = found.get();
      boolean wasAlive = tool1.isAlive();
      Processes.run(
          List.of("kill", "-KILL", Long.toString(tool1.pid())),
          Map.of(),
          java.time.Duration.ofSeconds(10));
      assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
      if (p.exitValue() == 0) {
        return Optional.empty(); // the tool had finished; the run went on
      }
      if (!wasAlive) {
        unexpected.add(tool + " ended before its kill, yet the run failed: " + p.exitValue());
      }
      return Optional.of("child");
    };
  }

  /** Whether {@code h} runs {@code tool}, and not only to ask its version. */
  private static boolean isRun(ProcessHandle h, String tool) {
    ProcessHandle.Info info = h.info();
    return info.command().map(c -> Path.of(c).getFileName().toString().equals(tool)).orElse(false)
        && !List.of(info.arguments().orElse(new String[0])).contains("--version");
  }

  /** Runs {@code job} once, killed by {@code kill}, and checks what it left. */
  private void attempt(Job job, String killAt, Kill kill, boolean removes, boolean verifyAll)
      throws Exception {
    Set<String> before = records(repo);
    Process p = job.start(killAt);
    Optional<String> how = kill.apply(p);
    Processes.killTree(p.toHandle());
    System.out.printf(
        "kill matrix: %s %s: %s%n",
        job.name(),
        killAt == null ? "" : killAt,
        how.map(h -> "killed (" + h + ")").orElse("ran through"));
    if (how.isEmpty()) {
      ranThrough++;
    } else {
      killed
          .computeIfAbsent(job.name(), k -> new int[3])[
          List.of("time", "named", "child").indexOf(how.get())]++;
    }
    Set<String> after = records(repo);
    if (!removes && !after.containsAll(before)) {
      lost++;
    }
    if (how.filter(h -> h.equals("child")).isPresent() && !after.equals(before)) {
      failedButListed++;
    }
    // verify reads every backup not verified before in full: the ones this run may have listed
    int verify =
        verifyAll
            ? inProcess(repo, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness")
            : inProcess(repo, io.aido.backup.verify.Main::new, "verify", "--no-freshness");
    if (verify != 0) {
      brokenButListed++;
    }
  }

  /**
   * Kills runs of {@code job} by time until {@code points} of them were killed while running: the
   * delays cycle from early in JVM start to nine tenths of an unkilled run, so the points spread
   * over the whole run whatever the machine's speed; a run that ended first is counted apart.
   */
  private void byTime(Job job, int points, boolean removes, Runnable before) throws Exception {
    before.run();
    long length = runToEnd(job);
    int killedBefore = total();
    for (int attempt = 0; total() - killedBefore < points && attempt < 3 * points; attempt++) {
      before.run();
      attempt(
          job, null, byTime(50 + (length * 9 / 10) * (attempt % points) / points), removes, false);
    }
  }

  private void atNamedPoints(Job job, boolean removes, Runnable before, String... points)
      throws Exception {
    for (String point : points) {
      before.run();
      attempt(job, point, named(), removes, false);
    }
  }

  private int total() {
    return killed.values().stream().mapToInt(k -> k[0] + k[1] + k[2]).sum();
  }

  private static void rotateKeyset() {
    try {
      KeyEncryptionKeys.rotateKeysetFile(keyset);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void newWal() {
    pg.psql(
        "todo",
        "INSERT INTO items SELECT i, 'x' FROM generate_series(1000000 + (SELECT count(*) FROM"
            + " items), 1000000 + (SELECT count(*) FROM items) + 2000) i; SELECT pg_switch_wal();");
  }

  @Test
  void everyWritingCommandKilledAtManyPoints_nothingBrokenListedNothingLost_leftoversCleaned()
      throws Exception {
    Class<?> db = io.aido.backup.db.Main.class;
    Class<?> retention = io.aido.backup.retention.Main.class;
    Job backup = new Job("backup", db, List.of("backup", "--database", "todo"));
    Job baseBackup = new Job("base-backup", db, List.of("base-backup"));
    Job walArchive = new Job("wal-archive", db, List.of("wal-archive"));
    Job rewrap = new Job("rewrap", db, List.of("rewrap"));
    Job export =
        new Job(
            "export",
            io.aido.backup.manifests.Main.class,
            List.of("export", "--page-size", "5"),
            Map.of("KUBECONFIG", startCluster().toString(), "BACKUP_CLUSTER_NAME", "kill-matrix"));
    Runnable nothing = () -> {};
    runToEnd(backup);
    runToEnd(baseBackup);

    // replicate: a new target each time, so that every run has the whole repository to copy
    List<Path> targets = new ArrayList<>();
    Supplier<Job> nextTarget =
        () -> {
          Path target = dir.resolve("secondary-" + targets.size());
          targets.add(target);
          return replicate(target);
        };
    // the first part, between the parts of a backup, between backups, in each record
    for (String point :
        List.of(
            "replicate-part:1",
            "replicate-part:2",
            "replicate-part:3",
            "record-write:1",
            "record-write:2")) {
      Job job = nextTarget.get();
      attempt(job, point, named(), false, false);
      checkTarget(targets.get(targets.size() - 1));
    }
    long length = runToEnd(nextTarget.get());
    for (int i = 0; i < 4; i++) {
      Job job = nextTarget.get();
      attempt(job, null, byTime(300 + length * (i + 1) / 5), false, false);
      checkTarget(targets.get(targets.size() - 1));
    }
    runToEnd(replicate(targets.get(targets.size() - 1)));
    checkTarget(targets.get(targets.size() - 1));

    // rewrap: a rotated keyset before each run, so that every backup has a key to rewrap
    for (String point :
        List.of(
            "rewrap-before-replace:1",
            "rewrap-after-replace:1",
            "rewrap-before-replace:2",
            "rewrap-after-replace:2")) {
      rotateKeyset();
      attempt(rewrap, point, named(), false, true);
    }
    rotateKeyset();
    long rewrapLength = runToEnd(rewrap);
    for (int i = 0; i < 3; i++) {
      rotateKeyset();
      attempt(rewrap, null, byTime(300 + rewrapLength * (i + 1) / 4), false, true);
    }
    rotateKeyset();
    runToEnd(rewrap);

    atNamedPoints(
        backup,
        false,
        nothing,
        "before-first-part",
        "between-parts",
        "record-write",
        "after-record");
    for (long delay : new long[] {0, 150, 400}) {
      attempt(backup, null, child("pg_dump", delay), false, false);
    }
    attempt(backup, null, child("pg_dumpall", 0), false, false);
    byTime(backup, 10, false, nothing);
    runToEnd(backup);

    atNamedPoints(baseBackup, false, nothing, "before-first-part", "record-write", "after-record");
    for (long delay : new long[] {0, 200, 600}) {
      attempt(baseBackup, null, child("pg_basebackup", delay), false, false);
    }
    byTime(baseBackup, 6, false, nothing);
    runToEnd(baseBackup);

    dapr = DaprCluster.start(pg, PASSWORD, 3000);
    Job snapshot =
        new Job("snapshot", io.aido.backup.dapr.Main.class, List.of("snapshot"), dapr.env());
    atNamedPoints(
        snapshot,
        false,
        nothing,
        "before-first-part",
        "between-parts",
        "record-write",
        "after-record");
    byTime(snapshot, 4, false, nothing);
    runToEnd(snapshot);

    atNamedPoints(export, false, nothing, "before-first-part", "record-write", "after-record");
    byTime(export, 4, false, nothing);
    runToEnd(export);

    Runnable wal = KillMatrixIT::newWal;
    atNamedPoints(walArchive, false, wal, "before-wal-object:1", "before-wal-object:2");
    byTime(walArchive, 4, false, wal);
    runToEnd(walArchive);

    Job apply =
        new Job(
            "apply",
            retention,
            List.of("apply", "--keep-last", "2", "--keep-daily", "0", "--keep-monthly", "0"));
    for (String point : List.of("retention-after-record:1", "retention-after-record:2")) {
      attempt(apply, point, named(), true, false);
    }
    for (int i = 0; i < 4; i++) {
      attempt(apply, null, byTime(400 + 400L * i), true, false);
    }
    runToEnd(apply);

    List<String> left = new ArrayList<>();
    int cleanup = 0;
    for (Path r : concat(repo, targets)) {
      cleanup +=
          inProcess(
              r,
              io.aido.backup.retention.Main::new,
              "apply",
              "--keep-last",
              "1000",
              "--leftover-grace",
              "PT0S");
      left.addAll(leftovers(r));
    }
    StringBuilder byCommand = new StringBuilder();
    killed.forEach(
        (k, v) ->
            byCommand.append(
                String.format(
                    "%s%s %d (%d by time, %d named, %d child)",
                    byCommand.length() == 0 ? "" : ", ", k, v[0] + v[1] + v[2], v[0], v[1], v[2])));
    System.out.printf(
        "reliability: kill matrix: %d kill points: %s; %d more runs ended before their kill;"
            + " %d broken-but-listed, %d lost, %d listed by a run that failed, %d leftovers after"
            + " retention %s in the repository and %d replication targets; unexpected: %s%n",
        total(),
        byCommand,
        ranThrough,
        brokenButListed,
        lost,
        failedButListed,
        left.size(),
        left,
        secondaries,
        unexpected);

    assertThat(cleanup).isZero();
    assertThat(total()).isGreaterThanOrEqualTo(50);
    assertThat(brokenButListed).isZero();
    assertThat(lost).isZero();
    assertThat(failedButListed).isZero();
    assertThat(unexpected).isEmpty();
    assertThat(left).isEmpty();
    assertThat(
            inProcess(repo, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness"))
        .isZero();
  }

  private static List<Path> concat(Path first, List<Path> rest) {
    List<Path> all = new ArrayList<>(List.of(first));
    all.addAll(rest);
    return all;
  }

  /** Every backup a replication target lists verifies in full. */
  private void checkTarget(Path target) {
    secondaries++;
    if (Files.isDirectory(target.resolve("catalog"))
        && inProcess(target, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness")
            != 0) {
      brokenButListed++;
    }
  }
}
