package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.manifests.MockCluster;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import io.aido.backup.testing.RedisServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The runtime half of the configuration fuzz for the Dapr and manifests jobs: settings that parse
 * but fail when used. The Kubernetes API is fabric8's mock server (no API server runs on the build
 * machine), or a port nothing listens on, or a server that answers 401 to every request as an API
 * server does to a refused token; the state stores are a real PostgreSQL and a real Redis.
 *
 * <p>A server that does not answer and a read-only repository end in exit 1 (a runtime failure); a
 * password or token the server refuses in exit 2 (a configuration problem) naming where it is set.
 * Each with one {@code error:} line, no stack trace, no secret, and nothing written to the
 * repository.
 */
class RuntimeFailuresDaprManifestsIT {
  private static final String PG_PASSWORD = "Runtime-dapr-pg-pw";
  private static final String REDIS_PASSWORD = "Runtime-dapr-redis-pw";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static RedisServer redis;
  private static DaprCluster dapr;
  private static MockCluster cluster;
  private static HttpServer refusing;
  private static Path keyset;
  private static int cases;

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword(PG_PASSWORD).start();
    dapr = DaprCluster.start(pg, PG_PASSWORD, 10);
    redis = RedisServer.start();
    try (Jedis j = new Jedis(redis.host(), redis.port())) {
      j.hset("todo-app||session", Map.of("data", "{\"t\":1}", "version", "1"));
      j.configSet("requirepass", REDIS_PASSWORD);
    }
    cluster = MockCluster.start();
    try (KubernetesClient client = cluster.client()) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
          .create();
    }
    refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    refusing.createContext(
        "/",
        exchange -> {
          byte[] body =
              ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                      + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(401, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    refusing.start();
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {cluster, dapr, redis, pg}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the others are closed either way
      }
    }
    if (refusing != null) {
      refusing.stop(0);
    }
    System.out.printf(
        "reliability: runtime failures (dapr, manifests): %d cases (unreachable API server, state"
            + " store and read-only repository exit 1, refused token and passwords exit 2 naming"
            + " where they are set): one error line, no stack trace, no secret, nothing written%n",
        cases);
  }

  /** Both stores as they work; a test breaks one. */
  @BeforeEach
  void workingStores() {
    pgStore(pg.port(), PG_PASSWORD);
    redisStore(redis.port(), REDIS_PASSWORD);
  }

  private static void pgStore(int port, String password) {
    dapr.putSecret(
        "pg-conn",
        "connectionString",
        "host="
            + pg.host()
            + " port="
            + port
            + " user=postgres password='"
            + password
            + "' dbname=daprv2 sslmode=disable");
  }

  private static void redisStore(int port, String password) {
    dapr.putSecret("redis", "password", password);
    dapr.putComponent(
        "redisstate",
        "state.redis",
        "v1",
        List.of(
            Map.of("name", "redisHost", "value", redis.host() + ":" + port),
            Map.of(
                "name",
                "redisPassword",
                "secretKeyRef",
                Map.of("name", "redis", "key", "password"))));
  }

  private static Map<String, String> env(Path repo) {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("BACKUP_CLUSTER_NAME", "runtime-failures");
    return env;
  }

  private static CommandRun snapshot(Path repo, String kubernetesUrl, String store) {
    Map<String, String> env = env(repo);
    env.putAll(dapr.env());
    if (kubernetesUrl != null) {
      env.put("BACKUP_KUBERNETES_URL", kubernetesUrl);
    }
    return CommandRun.of(
        new io.aido.backup.dapr.Main()::execute,
        env,
        "snapshot",
        "--scheduler",
        "off",
        "--store",
        store);
  }

  private static CommandRun export(Path repo, Supplier<KubernetesClient> clients) {
    return CommandRun.of(
        new io.aido.backup.manifests.Main(clients)::execute,
        env(repo),
        "export",
        "--namespace",
        "default");
  }

  /** A client of the API server at {@code url}, as a kubeconfig with a token would make. */
  private static Supplier<KubernetesClient> clientOf(String url) {
    return () ->
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.empty())
                    .withMasterUrl(url)
                    .withOauthToken("a-token")
                    .withRequestRetryBackoffLimit(0)
                    .withConnectionTimeout(2000)
                    .withRequestTimeout(5000)
                    .build())
            .build();
  }

  private static String nowhere() {
    return "http://127.0.0.1:" + FreePort.find();
  }

  private static String refusingUrl() {
    return "http://127.0.0.1:" + refusing.getAddress().getPort();
  }

  private static void assertFailure(CommandRun r, int code, Path repo, String... named)
      throws Exception {
    assertThat(r.code()).as(r.all()).isEqualTo(code);
    assertThat(r.err().lines().filter(l -> l.startsWith("error: "))).as(r.all()).hasSize(1);
    assertThat(r.errorLine()).as(r.all()).contains(named);
    assertThat(r.all()).doesNotContain("\tat ", PG_PASSWORD, REDIS_PASSWORD, "a-token");
    if (Files.isDirectory(repo)) {
      try (Stream<Path> files = Files.walk(repo)) {
        assertThat(files.filter(Files::isRegularFile)).as("nothing written").isEmpty();
      }
    }
    cases++;
  }

  private static Path repo(String name) {
    return dir.resolve(name);
  }

  @Test
  void snapshot_unreachableKubernetesApi_exits1AndWritesNothing() throws Exception {
    Path repo = repo("snapshot-no-api");
    assertFailure(snapshot(repo, nowhere(), "pgstate"), 1, repo, "error: ");
  }

  @Test
  void snapshot_kubernetesApiRefusesTheCredentials_exits2NamingThemAndWritesNothing()
      throws Exception {
    Path repo = repo("snapshot-401");
    assertFailure(snapshot(repo, refusingUrl(), "pgstate"), 2, repo, "401", "KUBECONFIG");
  }

  @Test
  void snapshot_unreachablePostgresStore_exits1NamingTheComponentAndWritesNothing()
      throws Exception {
    pgStore(FreePort.find(), PG_PASSWORD);
    Path repo = repo("snapshot-no-pg");
    assertFailure(snapshot(repo, null, "pgstate"), 1, repo, "pgstate");
  }

  @Test
  void snapshot_postgresStoreRefusesThePassword_exits2NamingTheSettingAndWritesNothing()
      throws Exception {
    pgStore(pg.port(), "not-" + PG_PASSWORD);
    Path repo = repo("snapshot-pg-password");
    assertFailure(snapshot(repo, null, "pgstate"), 2, repo, "pgstate", "connectionString");
  }

  @Test
  void snapshot_unreachableRedisStore_exits1NamingTheComponentAndWritesNothing() throws Exception {
    redisStore(FreePort.find(), REDIS_PASSWORD);
    Path repo = repo("snapshot-no-redis");
    assertFailure(snapshot(repo, null, "redisstate"), 1, repo, "redisstate");
  }

  @Test
  void snapshot_redisStoreRefusesThePassword_exits2NamingTheSettingAndWritesNothing()
      throws Exception {
    redisStore(redis.port(), "not-" + REDIS_PASSWORD);
    Path repo = repo("snapshot-redis-password");
    assertFailure(snapshot(repo, null, "redisstate"), 2, repo, "redisstate", "redisPassword");
  }

  @Test
  void export_unreachableKubernetesApi_exits1AndWritesNothing() throws Exception {
    Path repo = repo("export-no-api");
    assertFailure(export(repo, clientOf(nowhere())), 1, repo, "error: ");
  }

  @Test
  void export_kubernetesApiRefusesTheCredentials_exits2NamingThemAndWritesNothing()
      throws Exception {
    Path repo = repo("export-401");
    assertFailure(export(repo, clientOf(refusingUrl())), 2, repo, "401", "KUBECONFIG");
  }

  @Test
  void snapshotAndExport_readOnlyRepository_exit1AndWriteNothing() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("read-only"));
    Processes.Result mount =
        Processes.run(
            List.of("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", repo.toString()),
            Map.of(),
            Duration.ofSeconds(30));
    assumeTrue(mount.exitCode() == 0, "cannot mount a read-only tmpfs here: " + mount.stderr());
    try {
      assertFailure(snapshot(repo, null, "pgstate"), 1, repo, "Read-only file system");
      assertFailure(export(repo, cluster.clients()), 1, repo, "Read-only file system");
    } finally {
      Processes.run(List.of("umount", "-l", repo.toString()), Map.of(), Duration.ofSeconds(30));
    }
  }
}
