package io.aido.backup.dapr;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * What the Dapr commands share: the Kubernetes API client, the namespaces, the key filters and the
 * Dapr Scheduler's options.
 */
abstract class DaprCommand extends JobCommand {
  @Option(
      names = "--kubernetes-url",
      paramLabel = "URL",
      description =
          "The Kubernetes API server (default: the pod's service account in a cluster, else the"
              + " kubeconfig).")
  private String kubernetesUrl;

  @Option(
      names = "--namespace",
      split = ",",
      paramLabel = "NS",
      description =
          "A namespace whose Dapr resources and state stores to use; repeat or separate by commas"
              + " (default: the client's namespace, in a cluster the pod's own).")
  private List<String> namespaces;

  @Option(
      names = "--app-id",
      split = ",",
      paramLabel = "APP",
      description = "Only this app's state and actor state (keys <app-id>||...); repeatable.")
  private List<String> appIds;

  @Option(
      names = "--actor-type",
      split = ",",
      paramLabel = "TYPE",
      description = "Only this actor type's state and reminders; repeatable.")
  private List<String> actorTypes;

  @Option(
      names = "--store",
      split = ",",
      paramLabel = "NAME",
      description = "Only this state store (a Component name, or namespace/name); repeatable.")
  private List<String> stores;

  @Option(
      names = "--scheduler",
      paramLabel = "auto|off|required|only",
      description =
          "The Dapr Scheduler's reminders and jobs: auto (when the cluster runs one), off,"
              + " required (fail without one), or only (them and no state store). Default: auto.")
  private String scheduler = "auto";

  @Option(
      names = "--scheduler-endpoints",
      split = ",",
      paramLabel = "URL",
      description =
          "The Scheduler's etcd client URLs (http://host:2379), instead of finding"
              + " dapr-scheduler-server through the Kubernetes API and port-forwarding to it.")
  private List<String> schedulerEndpoints;

  @Option(
      names = "--scheduler-ca-file",
      paramLabel = "FILE",
      description =
          "PEM CA certificate of an https:// --scheduler-endpoints etcd (default: the JVM's).")
  private Path schedulerCaFile;

  @Option(
      names = "--scheduler-cert-file",
      paramLabel = "FILE",
      description = "PEM client certificate for an https:// etcd that asks for one.")
  private Path schedulerCertFile;

  @Option(
      names = "--scheduler-key-file",
      paramLabel = "FILE",
      description = "PEM (PKCS#8) private key of --scheduler-cert-file.")
  private Path schedulerKeyFile;

  @Option(
      names = "--scheduler-namespace",
      paramLabel = "NS",
      description = "The namespace of the Dapr control plane. Default: dapr-system.")
  private String schedulerNamespace = "dapr-system";

  @Override
  protected final void validate(ConfigProblems problems) {
    if (SchedulerAccess.Mode.parse(scheduler).isEmpty()) {
      problems.add(
          EnvironmentDefaults.describe("--scheduler"),
          "'" + scheduler + "' is none of auto, off, required, only");
    }
    if ((schedulerCertFile == null) != (schedulerKeyFile == null)) {
      problems.add(
          EnvironmentDefaults.describe("--scheduler-cert-file"),
          "needs --scheduler-key-file, and the other way round");
    }
    for (String e : schedulerEndpoints()) {
      try {
        URI u = URI.create(e);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
            || u.getHost() == null
            || u.getPort() < 0) {
          problems.add(
              EnvironmentDefaults.describe("--scheduler-endpoints"),
              "'" + e + "' is not an http(s)://host:port URL");
        }
      } catch (IllegalArgumentException ex) {
        problems.add(
            EnvironmentDefaults.describe("--scheduler-endpoints"), "'" + e + "' is not a URL");
      }
    }
    if (kubernetesUrl != null && !kubernetesUrl.isBlank()) {
      try {
        URI u = URI.create(kubernetesUrl.strip());
        if (u.getScheme() == null || !u.getScheme().startsWith("http") || u.getHost() == null) {
          problems.add(
              EnvironmentDefaults.describe("--kubernetes-url"),
              "'" + kubernetesUrl + "' is not an http(s) URL");
        }
      } catch (IllegalArgumentException e) {
        problems.add(
            EnvironmentDefaults.describe("--kubernetes-url"),
            "'" + kubernetesUrl + "' is not a URL");
      }
    }
    if (namespaces != null) {
      for (String ns : namespaces) {
        if (!ns.isBlank() && !NAMESPACE.matcher(ns.strip()).matches()) {
          problems.add(
              EnvironmentDefaults.describe("--namespace"),
              "'" + ns + "' is not a namespace name (lower-case letters, digits and '-')");
        }
      }
    }
    validateCommand(problems);
  }

  private static final java.util.regex.Pattern NAMESPACE =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** This command's own configuration checks. */
  protected void validateCommand(ConfigProblems problems) {}

  /** A client for the configured API server. */
  protected final KubernetesClient kubernetes() {
    Config config =
        kubernetesUrl == null || kubernetesUrl.isBlank()
            ? Config.autoConfigure(null)
            : new ConfigBuilder(Config.empty()).withMasterUrl(kubernetesUrl.strip()).build();
    config.setRequestTimeout(30_000);
    config.setConnectionTimeout(10_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Whether {@code --scheduler only}: the Scheduler and no state store. */
  protected final boolean schedulerOnly() {
    return SchedulerAccess.Mode.parse(scheduler).orElse(null) == SchedulerAccess.Mode.ONLY;
  }

  /** The explicit Scheduler endpoints, empty if none. */
  private List<String> schedulerEndpoints() {
    return schedulerEndpoints == null
        ? List.of()
        : schedulerEndpoints.stream().map(String::strip).filter(e -> !e.isEmpty()).toList();
  }

  /**
   * The Dapr Scheduler as {@code --scheduler} and its options say.
   *
   * @param allMembers reach every replica (restore) rather than one (snapshot)
   * @param safe what a failure message says is safe
   */
  protected final SchedulerAccess.Found scheduler(boolean allMembers, String safe)
      throws JobException {
    return SchedulerAccess.open(
        SchedulerAccess.Mode.parse(scheduler).orElseThrow(),
        schedulerEndpoints(),
        schedulerNamespace == null || schedulerNamespace.isBlank()
            ? "dapr-system"
            : schedulerNamespace.strip(),
        schedulerCaFile == null && schedulerCertFile == null
            ? null
            : new SchedulerStore.Tls(schedulerCaFile, schedulerCertFile, schedulerKeyFile),
        this::kubernetes,
        allMembers,
        safe);
  }

  /** The namespaces given with {@code --namespace}, empty if none. */
  protected final List<String> namespaceOption() {
    return namespaces == null
        ? List.of()
        : namespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).distinct().toList();
  }

  /** The namespaces given, or the client's own. */
  protected final List<String> namespaces(KubernetesClient client) throws JobException {
    List<String> given =
        namespaces == null
            ? List.of()
            : namespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).distinct().toList();
    if (!given.isEmpty()) {
      return given;
    }
    String own = client.getNamespace();
    if (own == null || own.isBlank()) {
      throw JobException.badInput(
          "no namespace: set " + EnvironmentDefaults.describe("--namespace"));
    }
    return List.of(own);
  }

  protected final KeyFilter keyFilter() {
    return KeyFilter.of(appIds, actorTypes);
  }

  /** Whether the store {@code namespace/name} is selected by {@code --store}. */
  protected final boolean storeSelected(String namespace, String name) {
    if (stores == null || stores.stream().allMatch(String::isBlank)) {
      return true;
    }
    Set<String> wanted = Set.copyOf(stores.stream().map(String::strip).toList());
    return wanted.contains(name) || wanted.contains(namespace + "/" + name);
  }

  protected final List<String> storeOption() {
    return stores == null
        ? List.of()
        : stores.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * {@code state-<namespace>_<name>.dss}. A namespace is a DNS label and a Component name a DNS
   * subdomain, so neither holds {@code _}: the first {@code _} separates them, and {@code
   * ledger/eu-cache} and {@code ledger-eu/cache} get different parts. Format-1 snapshots (before
   * this naming) used {@code state-<namespace>-<name>.dss}, which was ambiguous; a restore reads a
   * store's part from the record's {@code part} fact, so it reads both namings.
   *
   * @throws IllegalArgumentException if the namespace holds a {@code _} (no Kubernetes namespace
   *     does)
   */
  static String partName(String namespace, String name) {
    if (namespace.indexOf('_') >= 0) {
      throw new IllegalArgumentException("namespace '" + namespace + "' is not a DNS label");
    }
    return "state-" + namespace + "_" + name + ".dss";
  }

  /** The part with the Dapr Scheduler's reminders and jobs. */
  static final String SCHEDULER_PART = "scheduler.dss";

  /** The part with the exported Dapr resources. */
  static final String RESOURCES_PART = "resources.yaml";
}
