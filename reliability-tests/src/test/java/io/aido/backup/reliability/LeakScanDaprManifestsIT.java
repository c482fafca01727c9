package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.kubernetes.manifests.ManifestFacts;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.RedisServer;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Leak scan of the Dapr and manifests jobs: {@code snapshot} and {@code restore} of Dapr state in a
 * PostgreSQL store (its connection string, password included, in a Component) and a Redis store
 * (its password in a Kubernetes Secret the Component references), and {@code restore} (applied and
 * dry run) and {@code extract} of a manifests backup holding a Secret and a Helm release whose
 * values carry a password; JSON and text logs, {@code --debug}, a local HTTP server as the
 * Pushgateway. Every output, metric body and repository file is byte-scanned for every secret, as
 * given and in base64.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class LeakScanDaprManifestsIT {
  private static final String NS = "todo";
  private static final String PG_PASSWORD = "Leak-dapr-pg-pa55-4e1b";
  private static final String REDIS_PASSWORD = "Leak-redis-pa55-8d2c";
  private static final String SECRET_VALUE = "Leak-k8s-secret-value-a7f0";
  private static final String HELM_VALUE = "Leak-helm-values-pa55-3b9e";
  private static final String STATE_VALUE = "Leak-dapr-state-value-55aa";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path dir;
  private static PgCluster pg;
  private static RedisServer redis;
  private static HttpServer pushgateway;
  private static final List<String> pushed = new ArrayList<>();
  private final Map<String, String> outputs = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword(PG_PASSWORD).start();
    redis = RedisServer.start();
    pg.createDatabase("daprv2");
    pg.psql(
        "daprv2",
        "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag uuid NOT"
            + " NULL DEFAULT gen_random_uuid(), created_at timestamp with time zone NOT NULL"
            + " DEFAULT now(), updated_at timestamp with time zone, expires_at timestamp with"
            + " time zone);"
            + "INSERT INTO state (key, value) VALUES ('todo-app||cart', convert_to('{\"token\":\""
            + STATE_VALUE
            + "\"}', 'UTF8'))");
    try (Jedis j = new Jedis(redis.host(), redis.port())) {
      j.hset(
          "todo-app||session", Map.of("data", "{\"t\":\"" + STATE_VALUE + "\"}", "version", "1"));
      j.configSet("requirepass", REDIS_PASSWORD);
    }
    server
        .expect()
        .get()
        .withPath("/apis/dapr.io")
        .andReturn(
            200,
            new APIGroupBuilder()
                .withName("dapr.io")
                .addNewVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endVersion()
                .withNewPreferredVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endPreferredVersion()
                .build())
        .always();
    server.expectCustomResource(
        new CustomResourceDefinitionContext.Builder()
            .withGroup("dapr.io")
            .withVersion("v1alpha1")
            .withKind("Component")
            .withPlural("components")
            .withScope("Namespaced")
            .build());
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("redis")
                .withNamespace(NS)
                .endMetadata()
                .addToStringData("password", REDIS_PASSWORD)
                .build())
        .create();
    component(
        "pgstate",
        "state.postgresql",
        "v2",
        List.of(
            Map.of(
                "name",
                "connectionString",
                "value",
                "host="
                    + pg.host()
                    + " port="
                    + pg.port()
                    + " user=postgres password='"
                    + PG_PASSWORD
                    + "' dbname=daprv2 sslmode=disable")));
    component(
        "redisstate",
        "state.redis",
        "v1",
        List.of(
            Map.of("name", "redisHost", "value", redis.host() + ":" + redis.port()),
            Map.of(
                "name",
                "redisPassword",
                "secretKeyRef",
                Map.of("name", "redis", "key", "password"))));
    pushgateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    pushgateway.createContext(
        "/",
        exchange -> {
          synchronized (pushed) {
            pushed.add(
                exchange.getRequestURI()
                    + "\n"
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    pushgateway.start();
  }

  @AfterAll
  static void stop() {
    if (pushgateway != null) {
      pushgateway.stop(0);
    }
    if (redis != null) {
      try (Jedis j = new Jedis(redis.host(), redis.port())) {
        j.auth(REDIS_PASSWORD);
        j.configSet("requirepass", "");
      } catch (RuntimeException e) {
        // the server is stopped either way
      }
      redis.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private static void component(
      String name, String type, String version, List<Map<String, Object>> metadata) {
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
                    Map.of("spec", Map.of("type", type, "version", version, "metadata", metadata))))
            .build();
    client.resource(r).create();
  }

  private Map<String, String> env(Path repo, Path keyset, String logFormat) {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", logFormat);
    env.put("BACKUP_DEBUG", "true");
    env.put("BACKUP_CLUSTER_NAME", "leak");
    env.put("BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + pushgateway.getAddress().getPort());
    env.put("BACKUP_KUBERNETES_URL", client.getMasterUrl().toString());
    env.put("BACKUP_NAMESPACE", NS);
    return env;
  }

  private int run(String what, Supplier<JobMain> job, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.get().execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    outputs.put(what + " stdout", out.toString(StandardCharsets.UTF_8));
    outputs.put(what + " stderr", err.toString(StandardCharsets.UTF_8));
    return code;
  }

  private static Supplier<JobMain> manifests() {
    return () ->
        new io.aido.backup.manifests.Main(
            () ->
                new KubernetesClientBuilder()
                    .withConfig(
                        new ConfigBuilder()
                            .withMasterUrl(client.getMasterUrl().toString())
                            .withNamespace(NS)
                            .build())
                    .build());
  }

  @Test
  void everyOutputMetricAndRepositoryFileOfDaprAndManifests_holdsNoSecret() throws Exception {
    Path repo = dir.resolve("repo");
    Path keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> json = env(repo, keyset, "json");
    Map<String, String> text = env(repo, keyset, "text");
    // the manifests job takes its cluster from its client, not from BACKUP_KUBERNETES_URL
    Map<String, String> manifestsJson = new HashMap<>(json);
    manifestsJson.remove("BACKUP_KUBERNETES_URL");
    Map<String, String> manifestsText = new HashMap<>(text);
    manifestsText.remove("BACKUP_KUBERNETES_URL");

    assertThat(
            run(
                "dapr snapshot json",
                io.aido.backup.dapr.Main::new,
                json,
                "snapshot",
                "--scheduler",
                "off"))
        .as(outputs.toString())
        .isZero();
    assertThat(
            run(
                "dapr snapshot text",
                io.aido.backup.dapr.Main::new,
                text,
                "snapshot",
                "--scheduler",
                "off"))
        .isZero();
    assertThat(
            run(
                "dapr restore",
                io.aido.backup.dapr.Main::new,
                text,
                "restore",
                "--backup-id",
                "latest",
                "--clean"))
        .as(outputs.toString())
        .isZero();
    manifestsBackup(repo, keyset);
    assertThat(
            run(
                "manifests restore dry run",
                manifests(),
                manifestsJson,
                "restore",
                "--backup-id",
                "latest",
                "--dry-run"))
        .as(outputs.toString())
        .isZero();
    run("manifests restore", manifests(), manifestsText, "restore", "--backup-id", "latest");
    run(
        "manifests extract",
        manifests(),
        manifestsJson,
        "extract",
        "--backup-id",
        "latest",
        "--out",
        dir.resolve("extracted").toString());

    List<String> secrets = new ArrayList<>();
    for (String s : List.of(PG_PASSWORD, REDIS_PASSWORD, SECRET_VALUE, HELM_VALUE, STATE_VALUE)) {
      secrets.add(s);
      secrets.add(Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
    }
    Map<String, byte[]> scanned = new LinkedHashMap<>();
    outputs.forEach((what, o) -> scanned.put(what, o.getBytes(StandardCharsets.UTF_8)));
    synchronized (pushed) {
      assertThat(pushed).isNotEmpty();
      for (int i = 0; i < pushed.size(); i++) {
        scanned.put("metric push " + i, pushed.get(i).getBytes(StandardCharsets.UTF_8));
      }
    }
    try (Stream<Path> files = Files.walk(repo)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        scanned.put("repository file " + repo.relativize(f), Files.readAllBytes(f));
      }
    }
    List<String> hits = new ArrayList<>();
    for (Map.Entry<String, byte[]> s : scanned.entrySet()) {
      String content = new String(s.getValue(), StandardCharsets.ISO_8859_1);
      for (String secret : secrets) {
        if (content.contains(secret)) {
          hits.add(secret + " in " + s.getKey());
        }
      }
    }
    System.out.printf(
        "reliability: leak scan (dapr, manifests): %d secrets (PostgreSQL and Redis passwords,"
            + " connection string, a Kubernetes Secret value, a Helm value, a state value; each"
            + " also as base64) searched in %d outputs, metric bodies and repository files: %d"
            + " hits%n",
        secrets.size(), scanned.size(), hits.size());
    assertThat(hits).isEmpty();
  }

  /**
   * A manifests backup as {@code export} writes it: a Secret, and a Helm release whose values hold
   * a password.
   */
  private static void manifestsBackup(Path repo, Path keyset) throws Exception {
    ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      entry(
          tar,
          "types.json",
          "[{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Secret\","
              + "\"plural\":\"secrets\",\"namespaced\":true}]");
      entry(
          tar,
          "namespaces/todo/core/Secret/app-secret.yaml",
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\n  namespace: todo\n"
              + "data:\n  token: "
              + Base64.getEncoder().encodeToString(SECRET_VALUE.getBytes(StandardCharsets.UTF_8))
              + "\n");
      entry(
          tar,
          "namespaces/todo/core/Secret/sh.helm.release.v1.todo.v1.yaml",
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.todo.v1\n"
              + "  namespace: todo\ntype: helm.sh/release.v1\ndata:\n  release: "
              + helmRelease()
              + "\n");
      entry(tar, "index.json", "{\"objects\":2}");
      tar.finish();
    }
    Repository r =
        Repository.open(
            new LocalBlobStore(repo), new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    KeyEncryptionKey kek = KeyEncryptionKeys.open(keyset.toString());
    try (BackupWriter w =
        r.begin(BackupKind.MANIFESTS, new Source("leak", null, null, null, Map.of()), kek)) {
      w.writePart("manifests.tar", new ByteArrayInputStream(tarBytes.toByteArray()));
      w.commit(
          new ManifestFacts(
                  "manifests.tar",
                  2,
                  Map.of("Secret", 2L),
                  Map.of(),
                  List.of(NS),
                  Map.of("todo/todo", List.of(1)),
                  List.of())
              .toFacts());
    }
  }

  /** A Helm release as the API returns a Secret's data: base64 of Helm's base64 of gzip JSON. */
  private static String helmRelease() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(
          ("{\"name\":\"todo\",\"namespace\":\"todo\",\"version\":1,\"info\":{\"status\":"
                  + "\"deployed\"},\"chart\":{\"metadata\":{\"name\":\"todo-chatbot\",\"version\":"
                  + "\"1.0.0\"},\"values\":{\"replicas\":1}},\"config\":{\"db\":{\"password\":\""
                  + HELM_VALUE
                  + "\"}}}")
              .getBytes(StandardCharsets.UTF_8));
    }
    String helm = Base64.getEncoder().encodeToString(gz.toByteArray());
    return Base64.getEncoder().encodeToString(helm.getBytes(StandardCharsets.US_ASCII));
  }

  private static void entry(TarArchiveOutputStream tar, String name, String content)
      throws Exception {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(bytes.length);
    tar.putArchiveEntry(e);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }
}
