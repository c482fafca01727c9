package io.aido.backup.core.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.config.Redaction;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RunMetricsTest {
  private static final Instant T0 = Instant.parse("2026-11-24T02:00:00Z");

  record Request(String method, String path, String body) {}

  // No Pushgateway binary can run here; this HTTP server records what the real client sends.
  private HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          requests.add(
              new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body));
          int status = exchange.getRequestURI().getPath().contains("refuse") ? 400 : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private URI gateway() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void push_successfulRun_postsRunAndBackupMetricsUnderGroupingKey() throws Exception {
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    RunMetrics metrics = new RunMetrics("db-backup", "backup", Optional.of("prod"), clock);
    metrics.started();
    metrics.backupCompleted(BackupKind.DB_LOGICAL, 1234, 5678);
    metrics.count("backup_rows", "Rows dumped.", 42, Map.of("table", "todos"));
    metrics.finished(true);

    metrics.push(gateway());

    assertThat(requests).hasSize(1);
    Request r = requests.get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/metrics/job/db-backup/cluster/prod/command/backup");
    assertThat(r.body())
        .contains("backup_run_success 1.0")
        .contains("backup_run_start_timestamp_seconds 1.7954856E9")
        .contains("backup_run_duration_seconds 0.0")
        .contains("backup_run_last_success_timestamp_seconds 1.7954856E9")
        .contains("backup_last_success_timestamp_seconds{kind=\"db-logical\"} 1.7954856E9")
        .contains("backup_stored_bytes{kind=\"db-logical\"} 1234.0")
        .contains("backup_plaintext_bytes{kind=\"db-logical\"} 5678.0")
        .contains("backup_rows_total{table=\"todos\"} 42.0");
  }

  @Test
  void push_failedRun_leavesLastSuccessOut() throws Exception {
    RunMetrics metrics =
        new RunMetrics("retention", "apply", Optional.empty(), Clock.fixed(T0, ZoneOffset.UTC));
    metrics.started();
    metrics.finished(false);

    metrics.push(gateway());

    assertThat(requests.get(0).path()).isEqualTo("/metrics/job/retention/command/apply");
    assertThat(requests.get(0).body())
        .contains("backup_run_success 0.0")
        .doesNotContain("last_success");
  }

  @Test
  void push_labelWithSecret_isMasked() throws Exception {
    String secret = "metric-secret-" + System.nanoTime();
    Redaction.register(secret);
    RunMetrics metrics =
        new RunMetrics("verify", "verify", Optional.empty(), Clock.fixed(T0, ZoneOffset.UTC));
    metrics.gauge("backup_test", "t", 1, Map.of("target", "postgres://u:" + secret + "@db"));

    metrics.push(gateway());

    assertThat(requests.get(0).body()).contains("postgres://u:***@db").doesNotContain(secret);
  }

  @Test
  void push_unreachableGateway_throwsIOException() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    RunMetrics metrics = new RunMetrics("verify", "verify", Optional.empty(), Clock.systemUTC());
    metrics.started();

    assertThatThrownBy(() -> metrics.push(URI.create("http://127.0.0.1:" + closedPort)))
        .isInstanceOf(IOException.class);
  }

  @Test
  void gauge_sameNameOtherLabels_isRefused() {
    RunMetrics metrics = new RunMetrics("verify", "verify", Optional.empty(), Clock.systemUTC());
    metrics.gauge("backup_x", "x", 1, Map.of("kind", "dapr"));

    assertThatThrownBy(() -> metrics.gauge("backup_x", "x", 1, Map.of("table", "t")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has labels [kind]");
    assertThatThrownBy(() -> metrics.count("backup_x", "x", 1, Map.of("kind", "dapr")))
        .hasMessageContaining("is not a counter");
  }
}
