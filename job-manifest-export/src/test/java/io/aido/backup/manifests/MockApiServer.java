package io.aido.backup.manifests;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kubernetes API for the benchmarks that run a job as its image does ({@code
 * bench/memory-bench.sh}): a {@link MockCluster} (fabric8's mock server in CRUD mode, because no
 * real API server can run on the build machine) holding the objects of the given YAML files, CRDs
 * first. Writes a kubeconfig pointing at it once the objects are in, then serves until killed.
 *
 * <pre>
 * java -cp ... io.aido.backup.manifests.MockApiServer KUBECONFIG [FILE.yaml ...]
 * </pre>
 */
public final class MockApiServer {
  private MockApiServer() {}

  public static void main(String[] args) throws Exception {
    Path kubeconfig = Path.of(args[0]);
    MockCluster cluster = MockCluster.start();
    List<HasMetadata> objects = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      try (InputStream in = Files.newInputStream(Path.of(args[i]))) {
        Object loaded = Serialization.unmarshal(in);
        if (loaded instanceof io.fabric8.kubernetes.api.model.KubernetesList list) {
          objects.addAll(list.getItems());
        } else if (loaded instanceof List<?> list) {
          list.forEach(o -> objects.add((HasMetadata) o));
        } else {
          objects.add((HasMetadata) loaded);
        }
      }
    }
    try (KubernetesClient client = cluster.client()) {
      for (HasMetadata o : objects) {
        if (o instanceof CustomResourceDefinition crd) {
          client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
      }
      for (HasMetadata o : objects) {
        if (o instanceof CustomResourceDefinition) {
          continue;
        }
        if (o instanceof GenericKubernetesResource g) {
          client
              .genericKubernetesResources(g.getApiVersion(), g.getKind())
              .inNamespace(g.getMetadata().getNamespace())
              .resource(g)
              .create();
        } else {
          client.resource(o).create();
        }
      }
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
    System.out.printf("mock API server at %s: %d objects%n", cluster.url(), objects.size());
    Thread.currentThread().join();
  }
}
