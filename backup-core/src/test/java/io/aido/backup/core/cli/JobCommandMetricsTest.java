package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.testing.CommandRun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JobCommandMetricsTest {
  // No Pushgateway binary can run here; this HTTP server records what the real client sends.
  private HttpServer server;
  private final List<String> pushes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          pushes.add(
              exchange.getRequestURI().getPath()
                  + "\n"
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private Map<String, String> env() {
    return Map.of(
        "BACKUP_PUSHGATEWAY_URL",
        "http://127.0.0.1:" + server.getAddress().getPort(),
        "BACKUP_CLUSTER_NAME",
        "prod");
  }

  @Test
  void run_succeeded_pushesSuccessAndItsOwnMetrics() {
    CommandRun run = CommandRun.of(new TestJob()::execute, env(), "measured");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(pushes)
        .singleElement()
        .asString()
        .startsWith("/metrics/job/test-job/cluster/prod/command/measured\n")
        .contains("backup_run_success 1.0")
        .contains("backup_test_value 7.0");
  }

  @Test
  void run_failed_pushesFailureAndExitsOne() {
    CommandRun run = CommandRun.of(new TestJob()::execute, env(), "measured", "--fail");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(pushes)
        .singleElement()
        .asString()
        .contains("backup_run_success 0.0")
        .doesNotContain("backup_run_last_success");
  }

  @Test
  void run_modeWithItsOwnMetricsCommand_pushesUnderItsOwnGroupingKey() {
    CommandRun drill =
        CommandRun.of(new TestJob()::execute, env(), "measured", "--drill", "--fail");
    CommandRun plain = CommandRun.of(new TestJob()::execute, env(), "measured");

    assertThat(drill.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(plain.code()).isEqualTo(ExitCodes.DONE);
    // two groups: the plain run's success cannot replace the drill's failure in the Pushgateway
    assertThat(pushes)
        .hasSize(2)
        .satisfiesExactly(
            failed ->
                assertThat(failed)
                    .startsWith("/metrics/job/test-job/cluster/prod/command/measured-drill\n")
                    .contains("backup_run_success 0.0"),
            done ->
                assertThat(done)
                    .startsWith("/metrics/job/test-job/cluster/prod/command/measured\n")
                    .contains("backup_run_success 1.0"));
  }

  @Test
  void run_badConfiguration_pushesNothing() {
    CommandRun run = CommandRun.of(new TestJob()::execute, env(), "measured", "--unknown");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(pushes).isEmpty();
  }

  @Test
  void run_gatewayDown_warnsAndKeepsExitCode() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + closedPort),
            "--log-format=text",
            "measured");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(run.err())
        .contains("WARNING unable to push metrics to http://127.0.0.1:" + closedPort);
  }
}
