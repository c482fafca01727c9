package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.FreePort;
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
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration fuzz: generated bad configurations for every command of every job, as a careless
 * operator writes them (a mistyped URL, a keyset that is not one, a duration without a unit, an
 * unknown zone, a negative count, an option that does not exist, two targets at once, a variable
 * with a typo). Each must end with exit 2, an {@code error:} line naming the option or its
 * variable, no stack trace, no secret and nothing written to the repository or the target.
 *
 * <p>Runs the jobs in-process through the same {@link JobMain#execute} as their {@code main}.
 * Servers are pointed at a port where nothing listens: a bad configuration must be refused before
 * any connection, so none is needed. The figures are printed for docs/reliability.md.
 */
class ConfigurationFuzzTest {
  private static final String SECRET = "Fuzz-pa55word-never-printed";

  @TempDir static Path dir;
  private static Path keyset;
  private static Path garbageKeyset;
  private static int deadPort;
  private static int cases;
  private static int passed;

  @BeforeAll
  static void keys() throws Exception {
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    garbageKeyset = dir.resolve("garbage.json");
    Files.writeString(garbageKeyset, "{\"primaryKeyId\": 1, \"key\": \"" + SECRET + "\"}");
    deadPort = FreePort.find();
  }

  @AfterAll
  static void figures() {
    System.out.printf(
        "reliability: configuration fuzz: %d bad configurations, %d refused with exit 2 and one"
            + " message naming the setting, nothing written%n",
        cases, passed);
  }

  /** One job: how to make it, and its commands with the arguments that make them valid. */
  private record Job(String name, Supplier<JobMain> main, List<List<String>> commands) {}

  private static final List<Job> JOBS =
      List.of(
          new Job(
              "db-backup",
              io.aido.backup.db.Main::new,
              List.of(
                  List.of("backup", "--database", "todo"),
                  List.of("restore", "--backup-id", "latest", "--target-database", "copy"),
                  List.of("base-backup"),
                  List.of("wal-archive"),
                  List.of("restore-pitr", "--latest", "--pgdata", "PGDATA"),
                  List.of("catalog", "list"))),
          new Job(
              "dapr-snapshot",
              io.aido.backup.dapr.Main::new,
              List.of(
                  List.of("snapshot", "--namespace", "todo"),
                  List.of("restore", "--backup-id", "latest", "--namespace", "todo"),
                  List.of("catalog", "list"))),
          new Job(
              "manifest-export",
              io.aido.backup.manifests.Main::new,
              List.of(
                  List.of("export"),
                  List.of("restore", "--backup-id", "latest"),
                  List.of("extract", "--backup-id", "latest", "--out", "OUT"))),
          new Job("verify", io.aido.backup.verify.Main::new, List.of(List.of("verify"))),
          new Job("retention", io.aido.backup.retention.Main::new, List.of(List.of("apply"))));

  /** A bad setting: a name, how it changes arguments and environment, what the message names. */
  private record Mutation(
      String name, List<String> extraArgs, Map<String, String> env, String named) {
    static Mutation env(String name, String variable, String value, String named) {
      Map<String, String> e = new HashMap<>();
      e.put(variable, value);
      return new Mutation(name, List.of(), e, named);
    }

    static Mutation arg(String name, String named, String... args) {
      return new Mutation(name, List.of(args), Map.of(), named);
    }
  }

  /** Bad settings that every command with a repository must refuse. */
  private static List<Mutation> repositoryMutations() {
    List<Mutation> m = new ArrayList<>();
    m.add(Mutation.env("storage url unset", "BACKUP_STORAGE_URL", "", "--storage-url"));
    m.add(Mutation.env("ftp storage url", "BACKUP_STORAGE_URL", "ftp://host/x", "--storage-url"));
    m.add(Mutation.env("relative file url", "BACKUP_STORAGE_URL", "file:repo", "--storage-url"));
    m.add(Mutation.env("gs without bucket", "BACKUP_STORAGE_URL", "gs://", "--storage-url"));
    m.add(
        Mutation.env("gs bad bucket", "BACKUP_STORAGE_URL", "gs://Bad_Bucket!/x", "--storage-url"));
    m.add(Mutation.env("s3 url", "BACKUP_STORAGE_URL", "s3://bucket/x", "--storage-url"));
    m.add(Mutation.env("url with a space", "BACKUP_STORAGE_URL", "file:///a b/c d", null));
    m.add(
        Mutation.env("keyset missing", "BACKUP_KEK_URI", "/nonexistent/keyset.json", "--kek-uri"));
    m.add(Mutation.env("keyset garbage", "BACKUP_KEK_URI", "GARBAGE", "--kek-uri"));
    m.add(Mutation.env("kms uri malformed", "BACKUP_KEK_URI", "gcp-kms://projects/p", "--kek-uri"));
    m.add(Mutation.env("kek scheme unknown", "BACKUP_KEK_URI", "vault://k", "--kek-uri"));
    m.add(Mutation.arg("unknown option", "--frobnicate", "--frobnicate"));
    m.add(Mutation.env("variable typo", "BACKUP_STORAGE_UR", "file:///x", "BACKUP_STORAGE_UR"));
    m.add(Mutation.arg("log format", "--log-format", "--log-format", "xml"));
    m.add(Mutation.arg("pushgateway url", "--pushgateway-url", "--pushgateway-url", "not a url"));
    return m;
  }

  /** Bad settings of one command. */
  private static List<Mutation> commandMutations(String job, String command) {
    String key = job + " " + command;
    List<Mutation> m = new ArrayList<>();
    switch (key) {
      case "db-backup backup", "db-backup base-backup", "db-backup wal-archive" -> {
        m.add(Mutation.arg("level 0", "--compression-level", "--compression-level", "0"));
        m.add(Mutation.arg("level 23", "--compression-level", "--compression-level", "23"));
        m.add(Mutation.arg("level word", "--compression-level", "--compression-level", "fast"));
      }
      default -> {}
    }
    switch (key) {
      case "db-backup restore" -> {
        m.add(Mutation.arg("backup id", "--backup-id", "--backup-id", "yesterday"));
        m.add(Mutation.arg("no target", "--target-database", "--target-database", ""));
      }
      case "db-backup wal-archive" -> {
        m.add(Mutation.arg("interval word", "--partial-interval", "--partial-interval", "often"));
        m.add(Mutation.arg("negative timeout", "--idle-timeout", "--idle-timeout", "-PT5S"));
        m.add(Mutation.arg("slot name", "--slot", "--slot", "Bad Slot!"));
      }
      case "db-backup restore-pitr" -> {
        m.add(Mutation.arg("time word", "--target-time", "--target-time", "yesterday"));
        m.add(
            Mutation.arg("two targets", "--target-time", "--target-time", "2026-11-24T14:03:00Z"));
        m.add(Mutation.arg("lsn", "--target-lsn", "--target-lsn", "zz/zz"));
        m.add(Mutation.arg("action", "--target-action", "--target-action", "explode"));
      }
      case "dapr-snapshot snapshot", "dapr-snapshot restore" -> {
        m.add(Mutation.arg("namespace", "Not_A_Namespace", "--namespace", "Not_A_Namespace"));
        m.add(Mutation.arg("kubernetes url", "--kubernetes-url", "--kubernetes-url", "::"));
      }
      case "manifest-export export" -> {
        m.add(Mutation.arg("secrets mode", "--secrets", "--secrets", "some"));
        m.add(Mutation.arg("page size", "--page-size", "--page-size", "0"));
        m.add(Mutation.arg("namespace", "Not_A_Namespace", "--namespace", "Not_A_Namespace"));
      }
      case "manifest-export restore" -> {
        m.add(Mutation.arg("namespace map", "--namespace-map", "--namespace-map", "todo"));
        m.add(Mutation.arg("crd timeout", "--crd-timeout", "--crd-timeout", "-1"));
      }
      case "verify verify" -> {
        m.add(Mutation.arg("max age word", "--max-age", "--max-age", "old"));
        m.add(Mutation.arg("max age kind", "--max-age", "--max-age", "nope=26h"));
        m.add(Mutation.arg("kind", "--kind", "--kind", "nope"));
        m.add(Mutation.arg("require kind", "--require-kind", "--require-kind", "nope"));
      }
      case "retention apply" -> {
        m.add(Mutation.arg("negative daily", "--keep-daily", "--keep-daily", "-1"));
        m.add(Mutation.arg("monthly word", "--keep-monthly", "--keep-monthly", "many"));
        m.add(Mutation.arg("zone", "--time-zone", "--time-zone", "Mars/Olympus_Mons"));
        m.add(Mutation.arg("grace word", "--leftover-grace", "--leftover-grace", "a day"));
      }
      default -> {}
    }
    return m;
  }

  @TestFactory
  Stream<DynamicTest> everyJobRefusesEveryBadConfiguration() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Job job : JOBS) {
      for (List<String> command : job.commands()) {
        List<Mutation> mutations = new ArrayList<>(repositoryMutations());
        mutations.addAll(commandMutations(job.name(), command.get(0)));
        for (Mutation m : mutations) {
          String name = job.name() + " " + String.join(" ", command) + " / " + m.name();
          tests.add(DynamicTest.dynamicTest(name, () -> refused(name, job, command, m)));
        }
      }
    }
    assertThat(tests).hasSizeGreaterThanOrEqualTo(100);
    return tests.stream();
  }

  private static void refused(String name, Job job, List<String> command, Mutation m)
      throws IOException {
    cases++;
    Path workspace = Files.createTempDirectory(dir, "case");
    Path repo = workspace.resolve("repo");
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PGHOST", "127.0.0.1");
    env.put("PGPORT", Integer.toString(deadPort));
    env.put("PGUSER", "postgres");
    env.put("PGPASSWORD", SECRET);
    env.put("KUBECONFIG", workspace.resolve("no-kubeconfig").toString());
    env.put("BACKUP_KUBERNETES_URL", "http://127.0.0.1:" + deadPort);
    for (Map.Entry<String, String> e : m.env().entrySet()) {
      String value = e.getValue().equals("GARBAGE") ? garbageKeyset.toString() : e.getValue();
      env.put(e.getKey(), value);
    }
    if (!job.name().equals("dapr-snapshot")) {
      env.remove("BACKUP_KUBERNETES_URL");
    }
    List<String> args = new ArrayList<>();
    for (String a : command) {
      args.add(
          switch (a) {
            case "PGDATA" -> workspace.resolve("pgdata").toString();
            case "OUT" -> workspace.resolve("out").toString();
            default -> a;
          });
    }
    args.addAll(m.extraArgs());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code =
          job.main()
              .get()
              .execute(
                  new JobContext(Environment.of(env), o, e, Clock.systemUTC()),
                  args.toArray(String[]::new));
    }
    String stdout = out.toString(StandardCharsets.UTF_8);
    String stderr = err.toString(StandardCharsets.UTF_8);
    String all = stdout + stderr;

    assertThat(code).as("%s: exit code; output:%n%s", name, all).isEqualTo(2);
    List<String> errors = stderr.lines().filter(l -> l.startsWith("error:")).toList();
    assertThat(errors).as("%s: one error message; output:%n%s", name, all).hasSize(1);
    if (m.named() != null) {
      assertThat(stderr).as("%s: the message names the setting", name).contains(m.named());
    }
    assertThat(all)
        .as("%s: no stack trace, no secret", name)
        .doesNotContain("\tat ")
        .doesNotContain("Exception:")
        .doesNotContain(SECRET);
    try (Stream<Path> left = Files.list(workspace)) {
      assertThat(left.toList()).as("%s: nothing written", name).isEmpty();
    }
    passed++;
  }
}
