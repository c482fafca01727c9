package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
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
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int execute(Map<String, String> env, String... args) {
    JobContext context =
        new JobContext(
            Environment.of(env),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    return new Main().execute(context, args);
  }

  @Test
  void verify_badSettings_exits2ListingEveryProblem() {
    int code =
        execute(
            Map.of("BACKUP_MAX_AGE", "db-logical=26 hours"),
            "verify",
            "--log-format",
            "text",
            "--kind",
            "db-logical",
            "--require-kind",
            "dapr",
            "--now",
            "yesterday");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "--storage-url (BACKUP_STORAGE_URL): not set",
            "--kek-uri (BACKUP_KEK_URI): not set",
            "--max-age (BACKUP_MAX_AGE): '26 hours' is not a duration",
            "--require-kind (BACKUP_REQUIRE_KIND): 'dapr' is outside --kind db-logical",
            "--now (BACKUP_NOW): 'yesterday' is not a time");
  }

  @Test
  void verify_unknownKind_exits2() {
    int code = execute(Map.of(), "verify", "--log-format", "text", "--kind", "wal");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown backup kind 'wal'");
  }

  @Test
  void maxAges_parse_overridesOneKindAndKeepsTheDefaults() {
    MaxAges ages = MaxAges.parse(java.util.List.of("dapr=2h", "db-base=PT200H"));

    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DAPR)).isEqualTo(Duration.ofHours(2));
    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DB_BASE))
        .isEqualTo(Duration.ofHours(200));
    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DB_LOGICAL))
        .isEqualTo(MaxAges.DEFAULT);
    assertThat(MaxAges.format(Duration.ofMinutes(27 * 60 + 5))).isEqualTo("27h5m");
  }

  @Test
  void help_listsTheOptionsAndTheirVariables() {
    int code = execute(Map.of(), "verify", "--help");

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "--all",
            "--max-age",
            "BACKUP_MAX_AGE",
            "--require-kind",
            "--no-freshness",
            "--restore-test",
            "BACKUP_RESTORE_TEST",
            "PGHOST",
            "newest complete backup of each source database");
  }

  @Test
  void verify_restoreTestOfAnotherKindOrBadPort_exits2() {
    int code =
        execute(
            Map.of("PGPORT", "70000"),
            "verify",
            "--log-format",
            "text",
            "--storage-url",
            "memory://restore-test-usage",
            "--kek-uri",
            "/nonexistent/kek.json",
            "--restore-test",
            "--kind",
            "dapr");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "PGPORT: '70000' is not a port",
            "--restore-test (BACKUP_RESTORE_TEST): only db-logical backups can be test-restored");
  }

  @Test
  void restoreTestAndVerify_pushUnderSeparateGroupingKeys_nightlyRunKeepsTheFailedDrill(
      @TempDir Path repository, @TempDir Path keys) throws Exception {
    Path keyset = keys.resolve("kek.json");
    KeyEncryptionKey kek = KeyEncryptionKeys.generateKeysetFile(keyset);
    Repository repo =
        Repository.open(
            new LocalBlobStore(repository),
            new Pipeline(PipelineSettings.defaults()),
            Clock.systemUTC());
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, Source.database("todo", "15.8"), kek)) {
      w.writePart("todo.dump", new ByteArrayInputStream(new byte[] {1, 2, 3}));
      w.commit(Map.of());
    }
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    // No Pushgateway binary can run here; this HTTP server records what the real client sends.
    List<String> pushes = new CopyOnWriteArrayList<>();
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext(
        "/",
        exchange -> {
          pushes.add(
              exchange.getRequestURI().getPath()
                  + "\n"
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    gateway.start();
    try {
      Map<String, String> env =
          Map.of(
              "BACKUP_STORAGE_URL", repository.toUri().toString(),
              "BACKUP_KEK_URI", keyset.toString(),
              "BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + gateway.getAddress().getPort(),
              "BACKUP_CLUSTER_NAME", "prod",
              "BACKUP_LOG_FORMAT", "text",
              // the monthly drill's scratch server is down: the restore test fails
              "PGHOST", "127.0.0.1",
              "PGPORT", Integer.toString(closedPort),
              "PGUSER", "restore_test",
              "PGPASSWORD", "not-used");

      int drill = execute(env, "verify", "--restore-test", "--no-freshness");
      int nightly = execute(env, "verify");

      assertThat(drill).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(1);
      assertThat(nightly).as(err.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(pushes)
          .satisfiesExactly(
              failed ->
                  assertThat(failed)
                      .startsWith("/metrics/job/verify/cluster/prod/command/restore-test\n")
                      .contains("backup_run_success 0.0"),
              passed ->
                  assertThat(passed)
                      .startsWith("/metrics/job/verify/cluster/prod/command/verify\n")
                      .contains("backup_run_success 1.0"));
    } finally {
      gateway.stop(0);
    }
  }
}
