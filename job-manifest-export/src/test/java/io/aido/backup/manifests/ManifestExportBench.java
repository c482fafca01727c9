package io.aido.backup.manifests;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The API server for {@code bench/manifest-export-bench.sh}: a {@link MockCluster} (fabric8's mock
 * server in CRUD mode, standing in for a real API server because none can run here) filled with
 * {@code NAMESPACES} namespaces of 50 objects each (15 ConfigMaps of about 1 KiB, 10 Secrets, 10
 * Services, 10 Deployments, 5 ServiceAccounts). Writes a kubeconfig pointing at it once it is full,
 * then serves until killed.
 *
 * <pre>
 * java -cp ... io.aido.backup.manifests.ManifestExportBench NAMESPACES KUBECONFIG
 * </pre>
 */
public final class ManifestExportBench {
  private static final int PER_NAMESPACE = 50;

  private ManifestExportBench() {}

  public static void main(String[] args) throws Exception {
    int namespaces = Integer.parseInt(args[0]);
    Path kubeconfig = Path.of(args[1]);
    MockCluster cluster = MockCluster.start();
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (KubernetesClient client = cluster.client()) {
      List<Future<?>> pending = new ArrayList<>();
      for (int n = 0; n < namespaces; n++) {
        String ns = String.format("app-%03d", n);
        pending.add(pool.submit(() -> fill(client, ns)));
      }
      for (Future<?> f : pending) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    String config =
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s"}}]
        users: [{name: bench, user: {token: bench-token}}]
        contexts: [{name: mock, context: {cluster: mock, user: bench, namespace: default}}]
        current-context: mock
        """
            .formatted(cluster.url());
    Path tmp = kubeconfig.resolveSibling(kubeconfig.getFileName() + ".tmp");
    Files.writeString(tmp, config);
    Files.move(tmp, kubeconfig);
    System.out.printf(
        "mock API server at %s: %d namespaces x %d objects in %.1f s%n",
        cluster.url(), namespaces, PER_NAMESPACE, (System.nanoTime() - start) / 1e9);
    Thread.currentThread().join();
  }

  private static void fill(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    String filler = "x".repeat(900);
    for (int i = 0; i < 15; i++) {
      client
          .configMaps()
          .inNamespace(ns)
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("config-" + i)
                  .withLabels(Map.of("app", "todo", "part", "config"))
                  .endMetadata()
                  .withData(Map.of("settings.yaml", "key: " + i + "\nfiller: " + filler))
                  .build())
          .create();
    }
    for (int i = 0; i < 10; i++) {
      String value =
          Base64.getEncoder()
              .encodeToString(("secret-" + ns + "-" + i).getBytes(StandardCharsets.UTF_8));
      client
          .secrets()
          .inNamespace(ns)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("secret-" + i)
                  .endMetadata()
                  .withType("Opaque")
                  .withData(Map.of("password", value))
                  .build())
          .create();
      client
          .services()
          .inNamespace(ns)
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("svc-" + i)
                  .endMetadata()
                  .withNewSpec()
                  .withClusterIP("10.96.0." + (i + 1))
                  .withSelector(Map.of("app", "svc-" + i))
                  .addNewPort()
                  .withPort(80)
                  .withProtocol("TCP")
                  .endPort()
                  .endSpec()
                  .build())
          .create();
      client
          .apps()
          .deployments()
          .inNamespace(ns)
          .resource(
              new DeploymentBuilder()
                  .withNewMetadata()
                  .withName("deploy-" + i)
                  .endMetadata()
                  .withNewSpec()
                  .withReplicas(2)
                  .withNewSelector()
                  .withMatchLabels(Map.of("app", "deploy-" + i))
                  .endSelector()
                  .withNewTemplate()
                  .withNewMetadata()
                  .withLabels(Map.of("app", "deploy-" + i))
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("app")
                  .withImage("todo:2.0." + i)
                  .endContainer()
                  .endSpec()
                  .endTemplate()
                  .endSpec()
                  .build())
          .create();
    }
    for (int i = 0; i < 5; i++) {
      client
          .serviceAccounts()
          .inNamespace(ns)
          .resource(
              new ServiceAccountBuilder()
                  .withNewMetadata()
                  .withName("sa-" + i)
                  .endMetadata()
                  .build())
          .create();
    }
  }
}
