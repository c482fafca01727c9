package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.kubernetes.manifests.ManifestFacts;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import io.aido.backup.testing.RedisServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * {@code drill} on this machine: a source PostgreSQL with WAL archived, a base backup and a dump
 * (made by job-db-backup's own commands), Dapr state in a real PostgreSQL v2 table and a real Redis
 * (snapshotted by job-dapr-snapshot's own command), and a manifests backup holding a ConfigMap and
 * a Helm release Secret; restored into a separate scratch PostgreSQL, Redis database 5 and the
 * scratch namespace of fabric8's mock API server (the one test double: no API server can run here).
 *
 * <p>The whole drill runs in its own JVM as the postgres OS user (pg_ctl refuses root); the failure
 * cases run in this JVM without the point-in-time step. After every run, no scratch database, Redis
 * key, scratch directory or Kubernetes object is left.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class DrillIT {
  private static final String PASSWORD = "Drill-s3cret-pw";
  private static final String NS = "todo";
  private static final String SCRATCH_NS = "aido-drill";
  private static final int SCRATCH_REDIS_DB = 5;
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static PgCluster source;
  private static PgCluster scratch;
  private static RedisServer redis;
  private static Path shared;
  private static Path repo;
  private static Path keyset;
  private static String classPath;

  private final List<String> outputs = new ArrayList<>();

  private record Run(int code, String out, String err) {}

  @BeforeAll
  static void backups() throws Exception {
    source =
        PgCluster.builder()
            .superuserPassword(PASSWORD)
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
    scratch = PgCluster.builder().superuserPassword("scratch-" + PASSWORD).start();
    redis = RedisServer.start();
    shared = Files.createTempDirectory("drill-it-");
    repo = shared.resolve("repo");
    keyset = shared.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);

    source.createDatabase("todo");
    source.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, label text);"
            + "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g");
    Map<String, String> db = dbEnv();
    assertOk(runDb(db, "wal-archive"));
    assertOk(runDb(db, "base-backup"));
    source.psql("todo", "INSERT INTO items VALUES (501, 'after the base backup')");
    assertOk(runDb(db, "backup", "--database", "todo"));
    assertOk(runDb(db, "wal-archive"));

    daprSource();
    Map<String, String> dapr = new HashMap<>();
    dapr.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    dapr.put("BACKUP_KEK_URI", keyset.toString());
    dapr.put("BACKUP_LOG_FORMAT", "text");
    dapr.put("BACKUP_KUBERNETES_URL", client.getMasterUrl().toString());
    dapr.put("BACKUP_NAMESPACE", NS);
    Run snap = runJob(new io.aido.backup.dapr.Main(), dapr, "snapshot", "--scheduler", "off");
    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();

    manifestsBackup();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(SCRATCH_NS).endMetadata().build())
        .create();

    Path cp = shared.resolve("classpath");
    Files.createDirectories(cp);
    classPath = readableClassPath(cp);
    Files.createDirectories(shared.resolve("pitr"));
    if (Processes.runningAsRoot()) {
      Processes.run(List.of("chown", "-R", "postgres:", shared.toString()), Map.of(), TOOL_TIMEOUT)
          .checkSuccess();
    }
  }

  @AfterAll
  static void stop() {
    redis.close();
    scratch.close();
    source.close();
    Processes.deleteTree(shared);
  }

  @AfterEach
  void noScratchObjectLeftAndNoSecret() throws Exception {
    assertThat(
            scratch.psql(
                "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'aido\\_%'"))
        .isEqualTo("0");
    try (Jedis j = new Jedis(redis.host(), redis.port())) {
      j.select(SCRATCH_REDIS_DB);
      assertThat(j.dbSize()).isZero();
    }
    try (Stream<Path> dirs = Files.list(shared.resolve("pitr"))) {
      assertThat(dirs).isEmpty();
    }
    assertThat(client.configMaps().inNamespace(SCRATCH_NS).list().getItems()).isEmpty();
    assertThat(client.secrets().inNamespace(SCRATCH_NS).list().getItems()).isEmpty();
    assertThat(outputs).allSatisfy(o -> assertThat(o).doesNotContain(PASSWORD));
  }

  @Test
  void drill_newestBackupsOfEveryKind_passesMeasuresAndRemovesEveryScratchObject()
      throws Exception {
    Path markdown = shared.resolve("drill.md");
    Run r =
        runAsPostgres(
            scratchEnv(),
            "drill",
            "--apply",
            "--scratch-dir",
            shared.resolve("pitr").toString(),
            "--scratch-redis",
            redis.host() + ":" + redis.port() + "/" + SCRATCH_REDIS_DB,
            "--kubernetes-url",
            client.getMasterUrl().toString(),
            "--pitr-port",
            Integer.toString(FreePort.find()),
            "--start-timeout",
            "PT2M",
            "--report-markdown",
            markdown.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("dump: passed", "pitr: passed", "dapr: passed", "manifests: passed")
        .contains("row counts of 1 table(s) equal the record")
        .contains("pg_last_xact_replay_timestamp() = ")
        .contains("Helm history complete: 2 revision(s) of 1 release(s) decode")
        .contains("drill passed: recovery time")
        .contains("report: drills/");
    assertThat(Files.readString(markdown)).contains("| pitr |", "| dapr |", "drill passed");
    try (Stream<Path> reports = Files.list(repo.resolve("drills"))) {
      Path report = reports.sorted().reduce((a, b) -> b).orElseThrow();
      assertThat(Files.readString(report))
          .contains("\"outcome\" : \"passed\"", "\"component\" : \"pitr\"", "\"database\"");
    }

    Run list = runInProcess(scratchEnv(), "drill", "--list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).contains("| date | backups").contains("| passed, RPO dump");
  }

  @Test
  void drill_corruptedDump_exits3NamingTheBackupAndPart() throws Exception {
    Path copy = shared.resolve("corrupted-repo");
    Processes.run(List.of("cp", "-a", repo.toString(), copy.toString()), Map.of(), TOOL_TIMEOUT)
        .checkSuccess();
    Path dump;
    try (Stream<Path> parts = Files.walk(copy.resolve("data/db-logical"))) {
      dump = parts.filter(p -> p.toString().endsWith(".dump")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(dump);
    bytes[bytes.length / 2] ^= 0x5a;
    dump.toFile().setWritable(true);
    Files.write(dump, bytes);
    Map<String, String> env = scratchEnv();
    env.put("BACKUP_STORAGE_URL", copy.toUri().toString());

    Run r = runInProcess(env, "drill", "--skip", "pitr,dapr,manifests");

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(3);
    assertThat(r.out())
        .contains("dump: failed")
        .containsPattern("backup \\d{8}T\\d{6}Z-[0-9a-f]+ \\(db-logical\\) part todo\\.dump")
        .contains("drill failed");
    Processes.deleteTree(copy);
  }

  @Test
  void drill_tinyRto_exits3WithTheObjectiveMissed() throws Exception {
    Run r =
        runInProcess(
            scratchEnv(),
            "drill",
            "--skip",
            "pitr",
            "--rto",
            "PT0.001S",
            "--scratch-redis",
            redis.host() + ":" + redis.port() + "/" + SCRATCH_REDIS_DB,
            "--kubernetes-url",
            client.getMasterUrl().toString());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(3);
    assertThat(r.out())
        .contains("dump: passed", "dapr: passed", "manifests: passed")
        .contains("objective missed: recovery time")
        .contains("exceeds the objective of PT0.001S");
  }

  @Test
  void drill_scratchServerUnreachable_exits1AndStillWritesTheReport() throws Exception {
    Map<String, String> env = scratchEnv();
    env.put("PGPORT", Integer.toString(FreePort.find()));
    long reportsBefore = reports();

    Run r =
        runInProcess(
            env,
            "drill",
            "--skip",
            "pitr,manifests",
            "--scratch-redis",
            redis.host() + ":" + redis.port() + "/" + SCRATCH_REDIS_DB);

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("dump: error", "dapr: error", "drill error");
    assertThat(reports()).isEqualTo(reportsBefore + 1);
  }

  private static long reports() throws IOException {
    Path drills = repo.resolve("drills");
    if (!Files.isDirectory(drills)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(drills)) {
      return s.count();
    }
  }

  private static Map<String, String> dbEnv() {
    Map<String, String> env = new HashMap<>(source.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", source.binDir().toString());
    return env;
  }

  private static Map<String, String> scratchEnv() {
    Map<String, String> env = new HashMap<>(scratch.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", scratch.binDir().toString());
    return env;
  }

  private static void assertOk(Run r) {
    assertThat(r.code()).as(r.err() + r.out()).isZero();
  }

  private static Run runDb(Map<String, String> env, String... args) {
    return runJob(new io.aido.backup.db.Main(), env, args);
  }

  private static Run runJob(
      io.aido.backup.core.cli.JobMain job, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run runInProcess(Map<String, String> env, String... args) {
    Run r = runJob(new Main(), env, args);
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  /** The job in its own JVM as the postgres OS user (as this user when not root). */
  private Run runAsPostgres(Map<String, String> env, String... args) {
    if (Processes.runningAsRoot()) {
      // runs in this JVM (as root) may have made directories in the repository
      Processes.run(List.of("chown", "-R", "postgres:", shared.toString()), Map.of(), TOOL_TIMEOUT)
          .checkSuccess();
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Processes.Result result =
        Processes.run(Processes.asUser("postgres", command), env, Duration.ofMinutes(5));
    Run r = new Run(result.exitCode(), result.stdout(), result.stderr());
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  /**
   * This JVM's test class path, linked (or copied) into {@code into}, which the postgres OS user
   * can read: the original lives under root's home.
   */
  private static String readableClassPath(Path into) throws IOException {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : cp.split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = into.resolve(i++ + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        Processes.run(List.of("cp", "-a", from.toString(), to.toString()), Map.of(), TOOL_TIMEOUT)
            .checkSuccess();
      } else {
        try {
          Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(from, to);
        }
      }
      entries.add(to.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Dapr's v2 table with three keys, a Redis store with two, and their Components. */
  private static void daprSource() {
    source.createDatabase("daprv2");
    source.psql(
        "daprv2",
        "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag uuid NOT"
            + " NULL DEFAULT gen_random_uuid(), created_at timestamp with time zone NOT NULL"
            + " DEFAULT now(), updated_at timestamp with time zone, expires_at timestamp with"
            + " time zone);"
            + "INSERT INTO state (key, value) VALUES ('todo-app||cart', '\\x7b7d'),"
            + " ('todo-app||TodoActor||1||todos', '\\x5b5d'), ('chat-app||h', '\\x5b5d')");
    try (Jedis j = new Jedis(redis.host(), redis.port())) {
      j.hset("todo-app||session", Map.of("data", "{}", "version", "1"));
      j.hset("todo-app||TodoActor||2||todos", Map.of("data", "[]", "version", "3"));
    }
    DaprApiMock.serve(server);
    component(
        "pgstate",
        "state.postgresql",
        "v2",
        "connectionString",
        "host="
            + source.host()
            + " port="
            + source.port()
            + " user=postgres password='"
            + PASSWORD
            + "' dbname=daprv2 sslmode=disable");
    component("redisstate", "state.redis", "v1", "redisHost", redis.host() + ":" + redis.port());
  }

  private static void component(String name, String type, String version, String key, String v) {
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("dapr.io/v1alpha1")
            .withKind("Component")
            .withNewMetadata()
            .withName(name)
            .withNamespace(NS)
            .endMetadata()
            .withAdditionalProperties(
                new HashMap<>(
                    Map.of(
                        "spec",
                        Map.of(
                            "type",
                            type,
                            "version",
                            version,
                            "metadata",
                            List.of(Map.of("name", key, "value", v))))))
            .build();
    client.resource(r).create();
  }

  /**
   * A manifests backup as {@code export} writes it: types, a ConfigMap and two revisions of a Helm
   * release (Secrets of type helm.sh/release.v1), and the index.
   */
  private static void manifestsBackup() throws Exception {
    ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      entry(
          tar,
          "types.json",
          "[{\"group\":\"\",\"version\":\"v1\",\"kind\":\"ConfigMap\",\"plural\":\"configmaps\","
              + "\"namespaced\":true},{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Secret\","
              + "\"plural\":\"secrets\",\"namespaced\":true}]");
      entry(
          tar,
          "namespaces/todo/core/ConfigMap/app-config.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: todo\n"
              + "data:\n  greeting: hello\n");
      for (int rev = 1; rev <= 2; rev++) {
        entry(
            tar,
            "namespaces/todo/core/Secret/sh.helm.release.v1.todo.v" + rev + ".yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.todo.v"
                + rev
                + "\n  namespace: todo\ntype: helm.sh/release.v1\ndata:\n  release: "
                + helmRelease(rev)
                + "\n");
      }
      entry(tar, "index.json", "{\"objects\":3}");
      tar.finish();
    }
    LocalBlobStore store = new LocalBlobStore(repo);
    Repository r =
        Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    KeyEncryptionKey kek = KeyEncryptionKeys.open(keyset.toString());
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("ConfigMap", 1L);
    counts.put("Secret", 2L);
    try (BackupWriter w =
        r.begin(BackupKind.MANIFESTS, new Source("drill-it", null, null, null, Map.of()), kek)) {
      w.writePart("manifests.tar", new ByteArrayInputStream(tarBytes.toByteArray()));
      w.commit(
          new ManifestFacts(
                  "manifests.tar",
                  3,
                  counts,
                  Map.of(),
                  List.of(NS),
                  Map.of("todo/todo", List.of(1, 2)),
                  List.of())
              .toFacts());
    }
  }

  /** A Helm release as the API returns a Secret's data: base64 of Helm's base64 of gzip JSON. */
  private static String helmRelease(int revision) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(
          ("{\"name\":\"todo\",\"namespace\":\"todo\",\"version\":"
                  + revision
                  + ",\"info\":{\"status\":\"deployed\"},\"chart\":{\"metadata\":{\"name\":"
                  + "\"todo-chatbot\",\"version\":\"1.0."
                  + revision
                  + "\"}},\"config\":{}}")
              .getBytes(StandardCharsets.UTF_8));
    }
    String helm = Base64.getEncoder().encodeToString(gz.toByteArray());
    return Base64.getEncoder().encodeToString(helm.getBytes(StandardCharsets.US_ASCII));
  }

  private static void entry(TarArchiveOutputStream tar, String path, String content)
      throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(path, true);
    e.setSize(bytes.length);
    tar.putArchiveEntry(e);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }
}
