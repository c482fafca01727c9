package io.aido.backup.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.CommandRun;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export killed with SIGKILL in the middle of its archive leaves no visible backup, and the next
 * run succeeds. The job runs as its own process (the real {@code main}, client from {@code
 * KUBECONFIG}); the cluster is fabric8's mock server in CRUD mode ({@link MockCluster}), standing
 * in for a real API server because none can run on the build machine, slowed down so that the kill
 * lands while objects are being written.
 */
class KilledExportTest {
  @TempDir Path dir;
  private MockCluster cluster;
  private ManifestJob job;

  @BeforeEach
  void start() throws Exception {
    cluster = MockCluster.start();
    try (var client = cluster.client()) {
      TodoCluster.populate(client);
    }
    job = new ManifestJob(dir);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void export_killedMidArchive_noRecord_nextRunSucceeds() throws Exception {
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
    cluster.delayLists(300);
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "export",
                "--page-size",
                "1")
            .redirectErrorStream(true);
    builder.environment().putAll(job.env());
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().put("BACKUP_LOG_FORMAT", "json");
    Process process = builder.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null
          && !(line.contains("export ") && line.contains("started"))) {
        // wait until the archive is being written
      }
      assertThat(line).as("the export started").isNotNull();
      Thread.sleep(1500);
      assertThat(process.isAlive()).as("still exporting when killed").isTrue();
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(process.exitValue()).isEqualTo(137);
    assertThat(job.records()).isEmpty();

    cluster.delayLists(0);
    CommandRun again = job.run(cluster, "export");

    assertThat(again.code()).as(again.all()).isZero();
    assertThat(job.records()).hasSize(1);
    assertThat(job.archive(job.records().get(0)).keySet())
        .containsAll(TodoCluster.EXPECTED_OBJECTS);
  }
}
