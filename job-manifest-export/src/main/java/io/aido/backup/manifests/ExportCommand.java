package io.aido.backup.manifests;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.BackupRun;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code export}: the cluster's objects, cleaned, as one streamed tar through the pipeline into a
 * backup of kind {@code manifests} (layout in {@link ManifestArchive}).
 *
 * <p>Before a byte is written: the API server answers discovery, every named namespace exists, and
 * the key-encryption key wraps and unwraps a data key. Objects are written as they are listed, a
 * page at a time. The record, written last, holds the counts per kind, what was skipped, the
 * namespaces and the Helm releases; it holds no Secret value and no Secret name beyond Helm release
 * names. A failure leaves no record: the backup stays invisible.
 */
@Command(
    name = "export",
    description = {
      "Export the cluster's Kubernetes objects (built-in and custom types, at their preferred"
          + " versions), cleaned so they re-apply in another cluster, with Secrets (inside the"
          + " encrypted archive only), the Sealed Secrets controller's keys, and Helm release"
          + " history decoded into helm/<namespace>/<release>/<revision>/.",
      "Leaves out what the cluster recreates: Pods and ReplicaSets owned by something, Jobs of"
          + " CronJobs, Events, Endpoints, EndpointSlices, Leases, the default ServiceAccount"
          + " token, kube-root-ca.crt.",
      "The Kubernetes client is configured from the pod's ServiceAccount, or KUBECONFIG."
    })
public final class ExportCommand extends ManifestCommand {
  private static final Logger LOG = LoggerFactory.getLogger(ExportCommand.class);
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern LABEL_RULE =
      Pattern.compile("([A-Za-z0-9.\\-]+/)?[A-Za-z0-9]([A-Za-z0-9_.\\-]*[A-Za-z0-9])?(=.*)?");

  @Mixin private RepositoryOptions repository;

  @Mixin private CompressionOptions compression = new CompressionOptions();

  @Option(
      names = {"--namespace", "--namespaces"},
      split = ",",
      paramLabel = "NS",
      description =
          "A namespace to export; repeat or separate by commas. Default: every namespace except"
              + " kube-*, gke-* and gmp-*.")
  private List<String> namespaces;

  @Option(
      names = "--cluster-kind",
      split = ",",
      paramLabel = "KIND",
      description =
          "A cluster-scoped kind to export (Kind or Kind.group); repeat or separate by commas."
              + " Default: CustomResourceDefinition, ClusterRole, ClusterRoleBinding, StorageClass,"
              + " PriorityClass, IngressClass. The selected Namespaces are always exported.")
  private List<String> clusterKinds;

  @Option(
      names = "--include-kind",
      split = ",",
      paramLabel = "KIND",
      description = "Export only these kinds (Kind or Kind.group).")
  private List<String> includeKinds;

  @Option(
      names = "--exclude-kind",
      split = ",",
      paramLabel = "KIND",
      description = "Never export these kinds (Kind or Kind.group).")
  private List<String> excludeKinds;

  @Option(
      names = "--selector",
      paramLabel = "SELECTOR",
      description =
          "Label selector for namespaced objects (Kubernetes syntax: app=todo,tier!=cache,!skip).")
  private String selector;

  @Option(
      names = "--cluster-selector",
      paramLabel = "SELECTOR",
      description =
          "Label selector for cluster-scoped objects, to keep only the ClusterRoles, bindings,"
              + " ... that belong to the app (e.g. app.kubernetes.io/part-of=todo).")
  private String clusterSelector;

  @Option(
      names = "--exclude-label",
      split = ",",
      paramLabel = "KEY[=VALUE]",
      description = "Leave out objects carrying this label (or this label with this value).")
  private List<String> excludeLabels;

  @Option(
      names = "--secrets",
      paramLabel = "MODE",
      description =
          "include (default): every Secret; sealed-only: only the Sealed Secrets controller's"
              + " keys (SealedSecrets are exported as objects in every mode; Helm history needs"
              + " include); exclude: no Secret at all.")
  private String secrets;

  @Option(
      names = "--page-size",
      paramLabel = "N",
      description = "Objects per list request (default 500); bounds the memory used.")
  private Integer pageSize;

  private SecretsMode secretsMode;

  @Override
  protected void validate(ConfigProblems problems) {
    namespaces = clean(namespaces);
    for (String ns : namespaces) {
      if (!DNS_LABEL.matcher(ns).matches()) {
        problems.add(
            EnvironmentDefaults.describe("--namespace"), "'" + ns + "' is not a namespace name");
      }
    }
    clusterKinds = clusterKinds == null ? Selection.DEFAULT_CLUSTER_KINDS : clean(clusterKinds);
    includeKinds = clean(includeKinds);
    excludeKinds = clean(excludeKinds);
    excludeLabels = clean(excludeLabels);
    for (String rule : excludeLabels) {
      if (!LABEL_RULE.matcher(rule).matches()) {
        problems.add(
            EnvironmentDefaults.describe("--exclude-label"),
            "'" + rule + "' is not KEY or KEY=VALUE");
      }
    }
    try {
      secretsMode = secrets == null ? SecretsMode.INCLUDE : SecretsMode.parse(secrets);
    } catch (IllegalArgumentException e) {
      problems.add(EnvironmentDefaults.describe("--secrets"), e.getMessage());
    }
    if (pageSize == null) {
      pageSize = 500;
    } else if (pageSize < 1 || pageSize > 10_000) {
      problems.add(EnvironmentDefaults.describe("--page-size"), "must be between 1 and 10000");
    }
  }

  private static List<String> clean(List<String> values) {
    List<String> out = new ArrayList<>();
    if (values != null) {
      for (String v : values) {
        String s = v.strip();
        if (!s.isEmpty() && !out.contains(s)) {
          out.add(s);
        }
      }
    }
    return out;
  }

  @Override
  protected int runManifests() throws Exception {
    Selection selection =
        new Selection(
            namespaces,
            clusterKinds,
            includeKinds,
            excludeKinds,
            selector,
            clusterSelector,
            excludeLabels,
            secretsMode);
    KeyEncryptionKey kek = repository.kek();
    try (KubernetesClient client = newClient()) {
      Exporter exporter = new Exporter(client, selection, pageSize);
      // the API server answers before the repository is touched: a new one is not even created
      exporter.plan();
      Repository repo =
          openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
      String cluster = runOptions().clusterName().orElse(null);
      Source source =
          new Source(
              cluster,
              namespaces.isEmpty() ? null : String.join(",", exporter.namespaces()),
              null,
              serverVersion(client),
              Map.of("secrets", secretsMode.id()));
      Instant start = clock().instant();
      try (BackupRun run = beginBackup(repo, BackupKind.MANIFESTS, source, kek, "export", "")) {
        LOG.info(
            "export {} started: {} namespace(s), {} type(s), secrets {}",
            run.id(),
            exporter.namespaces().size(),
            exporter.types().size(),
            secretsMode.id());
        Exporter.Result result;
        PartOutputStream part = run.openPart(ManifestArchive.PART);
        try {
          ManifestArchive.Writer archive = new ManifestArchive.Writer(part, start);
          result = exporter.write(archive, run.id().value(), start, cluster);
          archive.finish();
        } catch (IOException | JobException | RuntimeException e) {
          part.abort(e);
          throw run.failed(e);
        }
        try {
          part.close();
        } catch (IOException e) {
          throw run.failed(e);
        }
        BackupRecord record = run.commit(result.facts().toFacts());
        metrics().gauge("backup_manifest_objects", "Objects in the last export.", result.objects());
        Duration took = Duration.between(start, clock().instant());
        LOG.info(
            "export {} complete: {} object(s) of {} kind(s), {} skipped, {} Helm revision(s)",
            record.id(),
            result.objects(),
            result.counts().size(),
            result.skipped().values().stream().mapToLong(Long::longValue).sum(),
            result.helm().values().stream().mapToInt(List::size).sum());
        out()
            .printf(
                Locale.ROOT,
                "export %s: %d object(s) in %d namespace(s), %d stored bytes in %.1f s%n",
                record.id(),
                result.objects(),
                result.namespaces().size(),
                record.storedSize(),
                took.toMillis() / 1000.0);
        return ExitCodes.DONE;
      }
    }
  }

  private static String serverVersion(KubernetesClient client) {
    try {
      var v = client.getKubernetesVersion();
      return v == null ? null : v.getGitVersion();
    } catch (KubernetesClientException e) {
      return null;
    }
  }
}
