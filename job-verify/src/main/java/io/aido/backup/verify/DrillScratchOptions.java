package io.aido.backup.verify;

import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.ValidatedOptions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;
import redis.clients.jedis.HostAndPort;

/**
 * The drill's scratch places, as a picocli mixin: where the point-in-time restore's data directory
 * and server go ({@code --scratch-dir}, {@code --pitr-port}, {@code --pitr-user}, {@code
 * --start-timeout}), the scratch Redis for Dapr's Redis stores ({@code --scratch-redis}), the
 * scratch etcd for the Dapr Scheduler's reminders and jobs ({@code --scratch-scheduler-endpoints}),
 * and the cluster and namespaces the manifests go into ({@code --kubernetes-url}, {@code
 * --scratch-namespace}, {@code --namespace-map}, {@code --apply}).
 *
 * <p>{@link #validate} checks the Redis address, the etcd URLs and every namespace name; the
 * accessors may be called only after a validation that found no problem.
 */
final class DrillScratchOptions implements ValidatedOptions {
  private static final Pattern NS = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern ETCD_URL = Pattern.compile("https?://[^/:]+:[0-9]+/?");

  @Option(
      names = "--scratch-dir",
      paramLabel = "DIR",
      description =
          "Where the point-in-time restore's scratch data directory is made (default the system's"
              + " temporary directory); it is removed afterwards.")
  private Path scratchDir;

  @Option(
      names = "--pitr-port",
      paramLabel = "PORT",
      description = "Port of the restored scratch server (default a free one).")
  private Integer pitrPort;

  @Option(
      names = "--pitr-user",
      paramLabel = "ROLE",
      defaultValue = "postgres",
      description =
          "The role that checks the restored server over its private socket (default"
              + " ${DEFAULT-VALUE}).")
  private String pitrUser;

  @Option(
      names = "--start-timeout",
      paramLabel = "DURATION",
      defaultValue = "PT1H",
      description = "How long the restored server may take to replay the WAL (default 1h).")
  private Duration startTimeout;

  @Option(
      names = "--scratch-redis",
      paramLabel = "HOST:PORT[/DB]",
      description =
          "The scratch Redis for state.redis stores (default database 0): it must be empty, and is"
              + " emptied afterwards.")
  private String scratchRedis;

  @Option(
      names = DaprSchedulerDrill.OPTION,
      split = ",",
      paramLabel = "URL",
      description =
          "The scratch etcd (http://host:2379) the Dapr Scheduler's reminders and jobs are restored"
              + " into: it must hold no key under dapr/, and is emptied afterwards. Without it they"
              + " are not drilled.")
  private List<String> scratchSchedulerEndpoints;

  @Option(
      names = "--scratch-namespace",
      paramLabel = "NS",
      defaultValue = "aido-drill",
      description =
          "The namespace the manifests go into (default ${DEFAULT-VALUE}); it must exist (k8s/).")
  private String scratchNamespace;

  @Option(
      names = "--namespace-map",
      split = ",",
      paramLabel = "OLD=NEW",
      description = "Restore namespace OLD as NEW instead of the scratch namespace (repeatable).")
  private List<String> namespaceMap;

  @Option(
      names = "--apply",
      description =
          "Apply the manifests for real (then delete what was created) instead of a server-side"
              + " dry run.")
  private boolean apply;

  @Option(
      names = "--kubernetes-url",
      paramLabel = "URL",
      description = "The API server (default: the pod's service account or the kubeconfig).")
  private String kubernetesUrl;

  private final Map<String, String> mapping = new LinkedHashMap<>();
  private HostAndPort redis;
  private int redisDb;
  private List<String> etcd = List.of();

  @Override
  public void validate(ConfigProblems problems) {
    if (scratchRedis != null && !scratchRedis.isBlank()) {
      String s = scratchRedis.strip();
      int slash = s.indexOf('/');
      try {
        redisDb = slash < 0 ? 0 : Integer.parseInt(s.substring(slash + 1));
        redis = HostAndPort.from(slash < 0 ? s : s.substring(0, slash));
      } catch (RuntimeException e) {
        problems.add(
            EnvironmentDefaults.describe("--scratch-redis"),
            "'" + s + "' is not HOST:PORT or HOST:PORT/DB");
      }
    }
    etcd =
        scratchSchedulerEndpoints == null
            ? List.of()
            : scratchSchedulerEndpoints.stream()
                .map(String::strip)
                .filter(e -> !e.isEmpty())
                .toList();
    for (String e : etcd) {
      if (!ETCD_URL.matcher(e).matches()) {
        problems.add(
            EnvironmentDefaults.describe(DaprSchedulerDrill.OPTION),
            "'" + e + "' is not an http(s)://host:port URL");
      }
    }
    if (!NS.matcher(scratchNamespace).matches()) {
      problems.add(
          EnvironmentDefaults.describe("--scratch-namespace"),
          "'" + scratchNamespace + "' is not a namespace name");
    }
    for (String pair : namespaceMap == null ? List.<String>of() : namespaceMap) {
      String[] p = pair.strip().split("=", -1);
      if (p.length != 2 || !NS.matcher(p[0]).matches() || !NS.matcher(p[1]).matches()) {
        problems.add(
            EnvironmentDefaults.describe("--namespace-map"),
            "'" + pair + "' is not OLD=NEW with two namespace names");
      } else {
        mapping.put(p[0], p[1]);
      }
    }
  }

  /** Where the scratch data directories are made: {@code --scratch-dir} or under the temp dir. */
  Path scratchRoot() {
    return scratchDir != null
        ? scratchDir
        : Path.of(System.getProperty("java.io.tmpdir"), "aido-drill");
  }

  /** {@code --pitr-port}, else a port free on the loopback address now. */
  int pitrPort() throws IOException {
    if (pitrPort != null) {
      return pitrPort;
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  String pitrUser() {
    return pitrUser;
  }

  Duration startTimeout() {
    return startTimeout;
  }

  /** The scratch Redis, or {@code null} when none was given. */
  HostAndPort redis() {
    return redis;
  }

  int redisDb() {
    return redisDb;
  }

  /** The scratch Scheduler etcd's URLs; empty when none was given. */
  List<String> schedulerEndpoints() {
    return etcd;
  }

  String scratchNamespace() {
    return scratchNamespace;
  }

  /** The {@code --namespace-map} pairs, OLD to NEW, in the order given. */
  Map<String, String> namespaceMap() {
    return mapping;
  }

  boolean apply() {
    return apply;
  }

  /** A client of {@code --kubernetes-url}, else of the service account or the kubeconfig. */
  KubernetesClient kubernetes() {
    Config config =
        kubernetesUrl == null || kubernetesUrl.isBlank()
            ? Config.autoConfigure(null)
            : new ConfigBuilder(Config.empty()).withMasterUrl(kubernetesUrl.strip()).build();
    config.setRequestTimeout(30_000);
    config.setConnectionTimeout(10_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
