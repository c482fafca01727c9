package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.RedisServer;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * {@code snapshot} and {@code restore} end to end: Dapr Components found through the Kubernetes
 * API, connections resolved from Secrets, real PostgreSQL (Dapr's v1 and v2 tables) and a real
 * Redis with a password, a file:// repository and a generated keyset.
 *
 * <p>The Kubernetes API is fabric8's mock server in CRUD mode: no API server can run on the build
 * machine, and this is the one test double here. Everything behind it is real.
 *
 * <p>Every captured line of output and log, every file of the repository and every metric pushed to
 * a Pushgateway (a small HTTP server recording the bodies) is scanned for the passwords and the
 * connection strings.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class DaprCommandsIT {
  private static final String PG_PASSWORD = "Pg-dapr-s3cret";
  private static final String REDIS_PASSWORD = "Redis-dapr-s3cret";
  private static final String NS = "todo";

  private static PgCluster pg;
  private static RedisServer redis;
  private static String v2Connection;
  private static String v1Connection;

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;
  private HttpServer pushgateway;
  private final List<String> pushed = new ArrayList<>();
  private final List<String> outputs = new ArrayList<>();

  @BeforeAll
  static void servers() {
    pg = PgCluster.builder().superuserPassword(PG_PASSWORD).start();
    pg.createDatabase("daprv2");
    pg.createDatabase("daprv1");
    DaprTables.createV2(pg, "daprv2", "");
    DaprTables.createV1(pg, "daprv1", "state");
    v2Connection =
        "host="
            + pg.host()
            + " port="
            + pg.port()
            + " user=postgres password='"
            + PG_PASSWORD
            + "' dbname=daprv2 sslmode=disable";
    v1Connection =
        "postgres://postgres:" + PG_PASSWORD + "@" + pg.host() + ":" + pg.port() + "/daprv1";
    redis = RedisServer.start();
    try (Jedis j = new Jedis(redis.host(), redis.port())) {
      j.configSet("requirepass", REDIS_PASSWORD);
    }
  }

  @AfterAll
  static void stopServers() {
    redis.close();
    pg.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
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
    registerDaprKinds();
    createResources();
    fillStores();
  }

  @AfterEach
  void noSecretAnywhere() throws IOException {
    pushgateway.stop(0);
    List<String> secrets =
        List.of(PG_PASSWORD, REDIS_PASSWORD, v1Connection, v2Connection, "Pg-dapr", "Redis-dapr");
    assertThat(outputs).allSatisfy(o -> assertThat(o).doesNotContain(secrets));
    synchronized (pushed) {
      assertThat(pushed).allSatisfy(o -> assertThat(o).doesNotContain(secrets));
    }
    if (Files.exists(repo)) {
      try (Stream<Path> files = Files.walk(repo)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          assertThat(bytes).as(f.toString()).doesNotContain(secrets);
        }
      }
    }
  }

  /**
   * The kinds Dapr's CRDs define, and the group's discovery document as an API server serves it:
   * versions by Kubernetes' version priority, so v2alpha1 (only Subscription has it) is preferred.
   */
  private void registerDaprKinds() {
    server
        .expect()
        .get()
        .withPath("/apis/dapr.io")
        .andReturn(
            200,
            new APIGroupBuilder()
                .withName("dapr.io")
                .addNewVersion()
                .withGroupVersion("dapr.io/v2alpha1")
                .withVersion("v2alpha1")
                .endVersion()
                .addNewVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endVersion()
                .withNewPreferredVersion()
                .withGroupVersion("dapr.io/v2alpha1")
                .withVersion("v2alpha1")
                .endPreferredVersion()
                .build())
        .always();
    for (String[] k :
        new String[][] {
          {"v1alpha1", "Component", "components"},
          {"v1alpha1", "Configuration", "configurations"},
          {"v2alpha1", "Subscription", "subscriptions"},
          {"v1alpha1", "Subscription", "subscriptions"},
          {"v1alpha1", "Resiliency", "resiliencies"},
          {"v1alpha1", "HTTPEndpoint", "httpendpoints"}
        }) {
      server.expectCustomResource(
          new CustomResourceDefinitionContext.Builder()
              .withGroup("dapr.io")
              .withVersion(k[0])
              .withKind(k[1])
              .withPlural(k[2])
              .withScope("Namespaced")
              .build());
    }
  }

  private static Map<String, Object> item(String name, String value) {
    return Map.of("name", name, "value", value);
  }

  private static Map<String, Object> secretRef(String name, String secret, String key) {
    return Map.of("name", name, "secretKeyRef", Map.of("name", secret, "key", key));
  }

  private void create(String version, String kind, String name, Map<String, Object> body) {
    create(NS, version, kind, name, body);
  }

  private void create(
      String ns, String version, String kind, String name, Map<String, Object> body) {
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("dapr.io/" + version)
            .withKind(kind)
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
            .endMetadata()
            .withAdditionalProperties(new HashMap<>(body))
            .build();
    client.resource(r).create();
  }

  private void createResources() {
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("pg-conn")
                .endMetadata()
                .addToData("connectionString", b64(v2Connection))
                .addToData("v1", b64(v1Connection))
                .build())
        .create();
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("redis-auth")
                .endMetadata()
                .addToData("password", b64(REDIS_PASSWORD))
                .build())
        .create();
    create(
        "v1alpha1",
        "Component",
        "pgstate",
        Map.of(
            "spec",
            Map.of(
                "type",
                "state.postgresql",
                "version",
                "v2",
                "metadata",
                List.of(
                    secretRef("connectionString", "pg-conn", "connectionString"),
                    item("actorStateStore", "true")))));
    create(
        "v1alpha1",
        "Component",
        "pgv1state",
        Map.of(
            "spec",
            Map.of(
                "type",
                "state.postgresql",
                "version",
                "v1",
                "metadata",
                List.of(secretRef("connectionString", "pg-conn", "v1")))));
    create(
        "v1alpha1",
        "Component",
        "redisstate",
        Map.of(
            "spec",
            Map.of(
                "type",
                "state.redis",
                "version",
                "v1",
                "metadata",
                List.of(
                    item("redisHost", redis.host() + ":" + redis.port()),
                    secretRef("redisPassword", "redis-auth", "password")))));
    create(
        "v1alpha1",
        "Component",
        "cosmos",
        Map.of(
            "spec",
            Map.of(
                "type",
                "state.azure.cosmosdb",
                "version",
                "v1",
                "metadata",
                List.of(item("url", "https://example.documents.azure.com")))));
    create(
        "v1alpha1",
        "Component",
        "pubsub",
        Map.of("spec", Map.of("type", "pubsub.redis", "version", "v1", "metadata", List.of())));
    create("v1alpha1", "Configuration", "tracing", Map.of("spec", Map.of("tracing", Map.of())));
    create(
        "v2alpha1",
        "Subscription",
        "todo-created",
        Map.of("spec", Map.of("pubsubname", "pubsub", "topic", "todos")));
    create("v1alpha1", "Resiliency", "retries", Map.of("spec", Map.of("policies", Map.of())));
    create(
        "v1alpha1",
        "HTTPEndpoint",
        "search",
        Map.of("spec", Map.of("baseUrl", "https://search.example")));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private void fillStores() {
    pg.psql("daprv2", "TRUNCATE state");
    pg.psql("daprv1", "TRUNCATE state");
    pg.psql(
        "daprv2",
        DaprTables.v2Insert("state", "todo-app||cart", "7b7d", null)
            + DaprTables.v2Insert("state", "todo-app||bin", "00ff", "1 hour")
            + DaprTables.v2Insert("state", "todo-app||TodoActor||1||todos", "5b5d", null)
            + DaprTables.v2Insert("state", "todo-app||TimerActor||1||s", "01", null)
            + DaprTables.v2Insert("state", "chat-app||h", "5b5d", null));
    pg.psql(
        "daprv1",
        DaprTables.v1Insert("state", "todo-app||cart", "{\"a\": 1}", false, null)
            + DaprTables.v1Insert(
                "state", "todo-app||TodoActor||1||todos", "[1]", false, "1 hour"));
    try (Jedis j = redisClient()) {
      j.flushAll();
      daprSet(j, "todo-app||session", new byte[] {'{', '}'}, 2, 600);
      daprSet(j, "todo-app||TodoActor||2||todos", new byte[] {0, 1, (byte) 0xfe}, 5, 0);
      daprSet(j, "todo-app||TimerActor||2||s", new byte[] {'1'}, 1, 0);
    }
  }

  private static Jedis redisClient() {
    Jedis j = new Jedis(redis.host(), redis.port());
    j.auth(REDIS_PASSWORD);
    return j;
  }

  private static void daprSet(Jedis j, String key, byte[] data, int version, int ttl) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    j.hset(k, "data".getBytes(StandardCharsets.UTF_8), data);
    j.hset(k, "version".getBytes(StandardCharsets.UTF_8), Integer.toString(version).getBytes());
    if (ttl > 0) {
      j.expire(k, ttl);
    }
  }

  /** Every store's content: PostgreSQL rows (v1 without xmin) and Redis hashes with TTL set. */
  private Map<String, String> content() throws SQLException {
    Map<String, String> c = new TreeMap<>();
    query(
        "daprv2",
        "SELECT key, encode(value, 'hex') || ' ' || etag || ' ' || created_at || ' ' ||"
            + " coalesce(expires_at::text, '-') FROM state",
        "v2 ",
        c);
    query(
        "daprv1",
        "SELECT key, value::text || ' ' || isbinary || ' ' || insertdate || ' ' ||"
            + " coalesce(expiredate::text, '-') FROM state",
        "v1 ",
        c);
    try (Jedis j = redisClient()) {
      for (String key : j.keys("*")) {
        Map<String, String> fields = new TreeMap<>();
        j.hgetAll(key.getBytes(StandardCharsets.UTF_8))
            .forEach(
                (f, v) ->
                    fields.put(new String(f, StandardCharsets.UTF_8), HexFormat.of().formatHex(v)));
        c.put("redis " + key, fields + " ttl=" + (j.pttl(key) > 0));
      }
    }
    return c;
  }

  private static void query(String db, String sql, String prefix, Map<String, String> into)
      throws SQLException {
    try (Connection conn = pg.connect(db);
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        into.put(prefix + rs.getString(1), rs.getString(2));
      }
    }
  }

  private void wipe() {
    pg.psql("daprv2", "TRUNCATE state");
    pg.psql("daprv1", "TRUNCATE state");
    try (Jedis j = redisClient()) {
      j.flushAll();
    }
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "json");
    env.put("BACKUP_KUBERNETES_URL", client.getMasterUrl().toString());
    env.put("BACKUP_NAMESPACE", NS);
    env.put("BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + pushgateway.getAddress().getPort());
    return env;
  }

  private CommandRun run(Map<String, String> env, String... args) {
    CommandRun r = CommandRun.of(new Main()::execute, env, args);
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  private CommandRun run(String... args) {
    return run(env(), args);
  }

  private List<Path> records() throws IOException {
    Path catalog = repo.resolve("catalog/dapr");
    if (!Files.isDirectory(catalog)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(catalog)) {
      return s.sorted().toList();
    }
  }

  @Test
  void snapshotWipeRestore_twoStoresSnapshotted_unsupportedSkipped_everyItemBack()
      throws Exception {
    Map<String, String> before = content();

    CommandRun snap = run("snapshot");

    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
    assertThat(snap.err())
        .contains("warning: state store todo/cosmos (state.azure.cosmosdb) skipped")
        .contains("not supported yet");
    assertThat(snap.out()).contains("3 state store(s) with 10 key(s)").contains("1 skipped");
    assertThat(records()).hasSize(1);
    String record = Files.readString(records().get(0));
    assertThat(record)
        .contains(
            "\"resources.yaml\"", "\"state-todo_pgstate.dss\"", "\"state-todo_redisstate.dss\"")
        .contains("\"state-todo_pgv1state.dss\"")
        .contains("\"skipped\"", "\"cosmos\"", "state.azure.cosmosdb")
        .contains("\"layout\" : \"v2\"", "\"layout\" : \"v1\"", "\"layout\" : \"hash\"")
        .contains("\"TodoActor\" : 3", "\"TimerActor\" : 2", "\"todo-app\" : 9", "\"chat-app\" : 1")
        .contains("\"Component\" : 5", "\"Subscription\" : 1", "\"HTTPEndpoint\" : 1");

    wipe();
    CommandRun restore = run("restore", "--backup-id", "latest");

    assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
    assertThat(restore.out())
        .contains("state store todo/pgstate: recorded 5, restored 5")
        .contains("state store todo/redisstate: recorded 3, restored 3")
        .contains("ETags are new")
        .doesNotContain("DIFFERS");
    assertThat(content()).isEqualTo(before);
    assertThat(pushed).anySatisfy(p -> assertThat(p).contains("dapr_snapshot_keys"));

    CommandRun again = run("restore", "--backup-id", "latest");
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("holds").contains("live key(s)").contains("--clean");

    pg.psql("daprv2", DaprTables.v2Insert("state", "todo-app||late", "01", null));
    CommandRun cleaned = run("restore", "--backup-id", "latest", "--clean");
    assertThat(cleaned.code()).as(cleaned.err()).isZero();
    assertThat(content()).isEqualTo(before);
  }

  @Test
  void snapshot_resourcesExportedCleanedAtServedVersion() throws Exception {
    CommandRun snap = run("snapshot", "--store", "pgstate");
    assertThat(snap.code()).as(snap.err()).isZero();

    CommandRun show = run("catalog", "show", "latest");
    assertThat(show.out()).contains("\"Configuration\" : 1").contains("\"stores\"");
    assertThat(show.out()).doesNotContain("redisstate.dss");

    String yaml = readPart("resources.yaml");
    assertThat(yaml.split("(?m)^---$")).hasSize(10); // 9 documents after the first separator
    assertThat(yaml)
        .contains("apiVersion: \"dapr.io/v2alpha1\"\nkind: \"Subscription\"")
        .contains("apiVersion: \"dapr.io/v1alpha1\"\nkind: \"Component\"")
        .contains("kind: \"HTTPEndpoint\"", "kind: \"Resiliency\"", "kind: \"Configuration\"")
        .contains("name: \"cosmos\"", "secretKeyRef")
        .doesNotContain(
            "resourceVersion", "uid:", "creationTimestamp", "last-applied-configuration");
  }

  /** A part of the newest backup, decrypted and checked against its record. */
  private String readPart(String name) throws Exception {
    io.aido.backup.core.repository.Repository r =
        io.aido.backup.core.repository.Repository.open(
            io.aido.backup.core.storage.BlobStores.open(repo.toUri().toString()),
            new io.aido.backup.core.pipeline.Pipeline(
                io.aido.backup.core.pipeline.PipelineSettings.defaults()),
            Clock.systemUTC());
    io.aido.backup.core.catalog.BackupRecord record =
        r.catalog().resolve("latest", io.aido.backup.core.catalog.BackupKind.DAPR);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    r.reader(record, KeyEncryptionKeys.openKeysetFile(keyset))
        .readPart(record.part(name).orElseThrow(), out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void snapshot_requireAll_withUnsupportedStore_exit1NothingWritten() throws Exception {
    CommandRun snap = run("snapshot", "--require-all");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err()).contains("--require-all").contains("nothing was written");
    assertThat(records()).isEmpty();
  }

  @Test
  void snapshot_missingSecret_exit1NothingWritten() throws Exception {
    client.secrets().inNamespace(NS).withName("redis-auth").delete();

    CommandRun snap = run("snapshot");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err())
        .contains("metadata 'redisPassword' of Component todo/redisstate: Secret todo/redis-auth")
        .contains("no such Secret");
    assertThat(records()).isEmpty();
  }

  /** Every request the mock server received since the last call, as "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> seen = new ArrayList<>();
    io.fabric8.mockwebserver.http.RecordedRequest r;
    while ((r = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
      seen.add(r.getMethod() + " " + r.getPath());
    }
    return seen;
  }

  /** What an API server answers when RBAC does not grant get on Secret {@code name}. */
  private void forbidSecret(String name) {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/" + NS + "/secrets/" + name)
        .andReturn(
            403,
            new io.fabric8.kubernetes.api.model.StatusBuilder()
                .withStatus("Failure")
                .withReason("Forbidden")
                .withCode(403)
                .withMessage(
                    "secrets \""
                        + name
                        + "\" is forbidden: User"
                        + " \"system:serviceaccount:aido-backup:dapr-snapshot\" cannot get"
                        + " resource \"secrets\" in API group \"\" in the namespace \""
                        + NS
                        + "\"")
                .build())
        .always();
  }

  @Test
  void snapshot_secretForbiddenByRbac_exit1NamesSecretAndNamespaceNothingWritten()
      throws Exception {
    forbidSecret("redis-auth");

    CommandRun snap = run("snapshot");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err())
        .contains("metadata 'redisPassword' of Component todo/redisstate: Secret todo/redis-auth")
        .contains("forbidden: this identity may not get Secret 'redis-auth' in namespace todo")
        .contains("Role aido-backup-dapr-snapshot-secrets")
        .contains("nothing was written");
    assertThat(records()).isEmpty();
  }

  @Test
  void snapshot_unsupportedStoreReferencingASecret_skippedWithoutReadingIt() throws Exception {
    // the job may not read this Secret (as under the Role's resourceNames), nor need to
    forbidSecret("cosmos-key");
    create(
        "v1alpha1",
        "Component",
        "cosmoskeyed",
        Map.of(
            "spec",
            Map.of(
                "type",
                "state.azure.cosmosdb",
                "version",
                "v1",
                "metadata",
                List.of(secretRef("masterKey", "cosmos-key", "key")))));
    requests();

    CommandRun snap = run("snapshot");

    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
    assertThat(snap.err())
        .contains("warning: state store todo/cosmoskeyed (state.azure.cosmosdb) skipped");
    assertThat(snap.out()).contains("3 state store(s)").contains("2 skipped");
    assertThat(records()).hasSize(1);
    List<String> secretReads =
        requests().stream().filter(r -> r.contains("/secrets")).sorted().distinct().toList();
    assertThat(secretReads)
        .as("each referenced Secret of a supported store read by name; nothing listed")
        .containsExactly(
            "GET /api/v1/namespaces/todo/secrets/pg-conn",
            "GET /api/v1/namespaces/todo/secrets/redis-auth");
  }

  @Test
  void snapshot_wrongRedisPassword_exit2NamingTheSettingNoRecordNoPasswordInMessage()
      throws Exception {
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("redis-auth")
                .endMetadata()
                .addToData("password", b64("Redis-dapr-wrong"))
                .build())
        .update();

    CommandRun snap = run("snapshot");

    // a password the store refuses is a configuration problem, as PGPASSWORD is for the db job
    assertThat(snap.code()).isEqualTo(2);
    assertThat(snap.err())
        .contains("refused the Component's redisPassword")
        .contains("nothing was written")
        .doesNotContain("Redis-dapr-wrong");
    assertThat(records()).isEmpty();
  }

  @Test
  void restore_oneApp_onlyItsKeysReplaced() throws Exception {
    assertThat(run("snapshot").code()).isZero();
    pg.psql(
        "daprv2",
        "UPDATE state SET value = '\\x99' WHERE key IN ('todo-app||cart', 'chat-app||h')");

    CommandRun restore =
        run(
            "restore",
            "--backup-id",
            "latest",
            "--store",
            "pgstate",
            "--app-id",
            "todo-app",
            "--clean");

    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(restore.out()).contains("state store todo/pgstate: recorded 4, restored 4");
    Map<String, String> c = content();
    assertThat(c.get("v2 todo-app||cart")).startsWith("7b7d ");
    assertThat(c.get("v2 chat-app||h")).startsWith("99 ");
  }

  @Test
  void restore_laterStorePartTampered_refusedBeforeAnyStoreIsWritten() throws Exception {
    assertThat(run("snapshot").code()).isZero();
    wipe();
    // every state part but the first one restored is tampered at its end: before the fix, the
    // first store was written and the failure came with the second
    com.fasterxml.jackson.databind.JsonNode parts =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(records().get(0).toFile())
            .path("parts");
    boolean first = true;
    for (com.fasterxml.jackson.databind.JsonNode part : parts) {
      if (!part.path("name").asText().startsWith("state-")) {
        continue;
      }
      if (first) {
        first = false;
        continue;
      }
      Path object = repo.resolve(part.path("object").asText());
      byte[] bytes = Files.readAllBytes(object);
      bytes[bytes.length - 20] ^= 0x01;
      object.toFile().setWritable(true);
      Files.write(object, bytes);
    }

    CommandRun restore = run("restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.err()).contains("nothing was restored");
    assertThat(restore.out()).doesNotContain("state store todo/");
    assertThat(content()).isEmpty();
  }

  @Test
  void restore_wrongKey_exit2NothingRestored() throws Exception {
    assertThat(run("snapshot").code()).isZero();
    wipe();
    Path other = dir.resolve("other.json");
    KeyEncryptionKeys.generateKeysetFile(other);
    Map<String, String> env = new HashMap<>(env());
    env.put("BACKUP_KEK_URI", other.toString());

    CommandRun restore = run(env, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("wrong key").contains("nothing was restored");
    assertThat(content()).isEmpty();
  }

  /**
   * Two stores whose old part names were the same ({@code state-ledger-eu-cache.dss}): each gets
   * its own part, and each comes back into its own table.
   */
  @Test
  void snapshotRestore_namesThatCollidedWithDashes_separatePartsEachStoreBack() throws Exception {
    pg.psql("daprv2", "DROP TABLE IF EXISTS eu_state, ledger_state");
    DaprTables.createV2(pg, "daprv2", "eu_");
    DaprTables.createV2(pg, "daprv2", "ledger_");
    pg.psql(
        "daprv2",
        DaprTables.v2Insert("eu_state", "ledger-app||a", "01", null)
            + DaprTables.v2Insert("ledger_state", "ledger-app||b", "0202", null)
            + DaprTables.v2Insert("ledger_state", "ledger-app||c", "03", null));
    String[][] stores = {{"ledger", "eu-cache", "eu_"}, {"ledger-eu", "cache", "ledger_"}};
    for (String[] s : stores) {
      client
          .secrets()
          .inNamespace(s[0])
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("pg-conn")
                  .endMetadata()
                  .addToData("connectionString", b64(v2Connection))
                  .build())
          .create();
      create(
          s[0],
          "v1alpha1",
          "Component",
          s[1],
          Map.of(
              "spec",
              Map.of(
                  "type",
                  "state.postgresql",
                  "version",
                  "v2",
                  "metadata",
                  List.of(
                      secretRef("connectionString", "pg-conn", "connectionString"),
                      item("tablePrefix", s[2])))));
    }
    Map<String, String> env = new HashMap<>(env());
    env.put("BACKUP_NAMESPACE", "ledger,ledger-eu");
    Map<String, String> before = new TreeMap<>();
    query("daprv2", "SELECT key, encode(value, 'hex') || etag FROM eu_state", "eu ", before);
    query("daprv2", "SELECT key, encode(value, 'hex') || etag FROM ledger_state", "l ", before);

    CommandRun snap = run(env, "snapshot");

    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
    assertThat(Files.readString(records().get(0)))
        .contains("\"state-ledger_eu-cache.dss\"", "\"state-ledger-eu_cache.dss\"");
    pg.psql("daprv2", "TRUNCATE eu_state, ledger_state");
    CommandRun restore = run(env, "restore", "--backup-id", "latest");
    assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
    assertThat(restore.out())
        .contains("state store ledger/eu-cache: recorded 1, restored 1")
        .contains("state store ledger-eu/cache: recorded 2, restored 2");
    Map<String, String> after = new TreeMap<>();
    query("daprv2", "SELECT key, encode(value, 'hex') || etag FROM eu_state", "eu ", after);
    query("daprv2", "SELECT key, encode(value, 'hex') || etag FROM ledger_state", "l ", after);
    assertThat(after).isEqualTo(before);
    pg.psql("daprv2", "DROP TABLE eu_state, ledger_state");
  }

  /**
   * A backup as format 1 wrote it (part {@code state-todo-pgstate.dss}, named in the record): made
   * here by copying a new backup's decrypted part and record under the old name.
   */
  @Test
  void restore_backupWithFormat1PartNames_restoresFromTheRecordedPart() throws Exception {
    assertThat(run("snapshot", "--store", "pgstate").code()).isZero();
    Map<String, String> before = content();
    io.aido.backup.core.repository.Repository r =
        io.aido.backup.core.repository.Repository.open(
            io.aido.backup.core.storage.BlobStores.open(repo.toUri().toString()),
            new io.aido.backup.core.pipeline.Pipeline(
                io.aido.backup.core.pipeline.PipelineSettings.defaults()),
            Clock.systemUTC());
    io.aido.backup.core.catalog.BackupRecord current =
        r.catalog().resolve("latest", io.aido.backup.core.catalog.BackupKind.DAPR);
    io.aido.backup.core.crypto.KeyEncryptionKey kek = KeyEncryptionKeys.openKeysetFile(keyset);
    String facts =
        io.fabric8.kubernetes.client.utils.Serialization.asJson(current.facts())
            .replace("state-todo_pgstate.dss", "state-todo-pgstate.dss");
    @SuppressWarnings("unchecked")
    Map<String, Object> oldFacts =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(facts, Map.class);
    String oldId;
    try (io.aido.backup.core.repository.BackupWriter w =
        r.begin(io.aido.backup.core.catalog.BackupKind.DAPR, current.source(), kek)) {
      for (io.aido.backup.core.catalog.PartRecord p : current.parts()) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.reader(current, kek).readPart(p, bytes);
        w.writePart(
            p.name().replace("state-todo_pgstate.dss", "state-todo-pgstate.dss"),
            new java.io.ByteArrayInputStream(bytes.toByteArray()));
      }
      oldId = w.commit(oldFacts).id().value();
    }
    Path oldRecord =
        records().stream()
            .filter(f -> f.getFileName().toString().contains(oldId))
            .findFirst()
            .orElseThrow();
    assertThat(Files.readString(oldRecord))
        .contains("\"state-todo-pgstate.dss\"")
        .doesNotContain("state-todo_pgstate");
    wipe();

    CommandRun restore = run("restore", "--backup-id", oldId);

    assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
    assertThat(restore.out()).contains("state store todo/pgstate: recorded 5, restored 5");
    assertThat(content())
        .isEqualTo(
            before.entrySet().stream()
                .filter(e -> e.getKey().startsWith("v2 "))
                .collect(
                    java.util.stream.Collectors.toMap(
                        Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new)));
  }
}
