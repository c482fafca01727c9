package io.aido.backup.manifests;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.Objects;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/**
 * Entry point of job-manifest-export. The shared commands (catalog, keyset, rewrap) come from
 * {@link JobMain}; this job's own commands are {@code export} (the image's default) and {@code
 * restore}.
 *
 * <p>The Kubernetes client is configured the fabric8 way: inside a pod from the ServiceAccount
 * (token, CA, {@code KUBERNETES_SERVICE_HOST}); outside from {@code KUBECONFIG} or {@code
 * ~/.kube/config}.
 */
@Command(
    name = "manifest-export",
    description =
        "Exports and re-applies the cluster's Kubernetes objects, encrypted Secrets, Helm release history and the Sealed Secrets key.",
    subcommands = {ExportCommand.class, RestoreCommand.class, ExtractCommand.class})
public final class Main extends JobMain {

  private final Supplier<KubernetesClient> clients;

  /** A job whose client is configured from the pod or the kubeconfig. */
  public Main() {
    this(() -> new KubernetesClientBuilder().build());
  }

  /** A job that opens its clients with {@code clients} (tests point them at a mock server). */
  public Main(Supplier<KubernetesClient> clients) {
    this.clients = Objects.requireNonNull(clients, "clients");
  }

  /** A new client; the caller closes it. */
  KubernetesClient newClient() {
    return clients.get();
  }

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
