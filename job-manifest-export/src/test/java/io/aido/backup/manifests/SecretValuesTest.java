package io.aido.backup.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.aido.backup.testing.CommandRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secret values appear nowhere but inside the encrypted payload: every byte the job writes (its
 * output and JSON logs at debug level, the pushed metrics, every object of the repository, the
 * decrypted index) is searched for each test secret, raw and base64-encoded, through an export and
 * a restore, a failed restore included.
 *
 * <p>The clusters are fabric8's mock server in CRUD mode ({@link MockCluster}), standing in for a
 * real API server because none can run on the build machine; the Pushgateway is a JDK HTTP server
 * recording what the real Prometheus client pushes, for the same reason.
 */
class SecretValuesTest {
  @TempDir Path dir;
  private MockCluster source;
  private MockCluster target;
  private ManifestJob job;
  private HttpServer gateway;
  private final List<byte[]> pushes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    source = MockCluster.start();
    target = MockCluster.start();
    try (var client = source.client()) {
      TodoCluster.populate(client);
    }
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext(
        "/",
        exchange -> {
          pushes.add(exchange.getRequestBody().readAllBytes());
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    gateway.start();
    job = new ManifestJob(dir);
    job.extraEnv.put(
        "BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + gateway.getAddress().getPort());
    job.extraEnv.put("BACKUP_LOG_FORMAT", "json");
    job.extraEnv.put("BACKUP_DEBUG", "true");
  }

  @AfterEach
  void stop() {
    gateway.stop(0);
    source.close();
    target.close();
  }

  /** Each secret as it may appear: raw, base64 (a Secret's data), base64 twice (Helm). */
  private static List<String> forms() {
    List<String> forms = new ArrayList<>();
    for (String s : TodoCluster.SECRET_VALUES) {
      String once = Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
      forms.add(s);
      forms.add(once);
      forms.add(Base64.getEncoder().encodeToString(once.getBytes(StandardCharsets.UTF_8)));
    }
    return forms;
  }

  @Test
  void exportAndRestore_noSecretValueOutsideTheEncryptedPayload() throws Exception {
    CommandRun export = job.run(source, "export");
    assertThat(export.code()).as(export.all()).isZero();
    CommandRun restore = job.run(target, "restore", "--backup-id", "latest");
    assertThat(restore.code()).as(restore.all()).isZero();
    target.refuse("/api/v1/namespaces/todo/secrets", 500);
    CommandRun failing = job.run(target, "restore", "--backup-id", "latest");
    assertThat(failing.code()).isEqualTo(1);
    assertThat(failing.out()).contains("failed Secret todo/app-secret");

    BackupRecord record = job.records().get(0);
    Map<String, byte[]> archive = job.archive(record);
    // the archive does hold the secrets (else this test would prove nothing) ...
    String all = new String(concat(archive.values()), StandardCharsets.UTF_8);
    assertThat(all)
        .contains(Base64.getEncoder().encodeToString(TodoCluster.APP_PASSWORD.getBytes()))
        .contains(TodoCluster.HELM_DB_PASSWORD);
    // ... and nothing else does
    Map<String, byte[]> written = new HashMap<>();
    for (int i = 0; i < job.outputs.size(); i++) {
      written.put("output " + i, job.outputs.get(i).getBytes(StandardCharsets.UTF_8));
    }
    for (int i = 0; i < pushes.size(); i++) {
      written.put("metrics push " + i, pushes.get(i));
    }
    written.put("index.json", archive.get(ManifestArchive.INDEX));
    written.put("types.json", archive.get(ManifestArchive.TYPES));
    try (Stream<Path> files = Files.walk(job.repo)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        written.put(job.repo.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    assertThat(pushes).isNotEmpty();
    assertThat(written.keySet()).anyMatch(k -> k.startsWith("catalog/manifests/"));
    assertThat(written.keySet()).anyMatch(k -> k.startsWith("audit/"));
    assertThat(written.keySet()).anyMatch(k -> k.startsWith("data/manifests/"));
    for (Map.Entry<String, byte[]> e : written.entrySet()) {
      String text = new String(e.getValue(), StandardCharsets.ISO_8859_1);
      for (String form : forms()) {
        assertThat(text).as("%s must not contain a secret value", e.getKey()).doesNotContain(form);
      }
    }
  }

  private static byte[] concat(Iterable<byte[]> parts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p);
    }
    return out.toByteArray();
  }
}
