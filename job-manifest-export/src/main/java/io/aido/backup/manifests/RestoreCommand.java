package io.aido.backup.manifests;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.BackupIdOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.aido.backup.kubernetes.manifests.Applier;
import io.aido.backup.kubernetes.manifests.ApplyOrder;
import io.aido.backup.kubernetes.manifests.ManifestApply;
import io.aido.backup.kubernetes.manifests.ManifestFacts;
import io.aido.backup.kubernetes.manifests.ManifestRestorePlan;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore}: applies a {@code manifests} backup to the cluster in dependency order ({@link
 * ApplyOrder}), streaming the archive once, with server-side apply under the field manager {@value
 * ApiErrors#FIELD_MANAGER}. It never deletes anything.
 *
 * <p>Order of a run: resolve the backup, unwrap its data key (a wrong key stops here), write the
 * audit event (no audit, no restore), then apply entry by entry; after the CRDs, wait until they
 * are established before anything that may need them. Prints one line per created, changed or
 * failed object (with the reason) and a summary; exit 1 when any object failed.
 *
 * <p>The backup toolkit's own objects (label {@code app.kubernetes.io/part-of=aido-backup}: its
 * namespace, CronJobs, RBAC, ConfigMaps, ...) are skipped and named: they are installed from k8s/
 * before a restore (the runbook's site failure, step 2), and re-applying the old cluster's copies
 * would undo what that step set, such as the CronJobs' {@code suspend: true}, or conflict with it.
 */
@Command(
    name = "restore",
    description = {
      "Apply a manifests backup to the cluster in dependency order (namespaces, CRDs and, once they"
          + " are established, the rest: service accounts, Secrets, ConfigMaps, PVCs, Services,"
          + " custom resources, workloads, Ingresses last) with server-side apply. Never deletes.",
      "Skips the backup toolkit's own objects (label app.kubernetes.io/part-of=aido-backup):"
          + " install those from k8s/ first.",
      "Prints created / changed / unchanged / failed (with the reason of each failure)."
    })
public final class RestoreCommand extends ManifestCommand {
  private static final Pattern NS = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  @Mixin private RepositoryOptions repository;

  @Mixin BackupIdOptions backupId;

  @Option(
      names = "--dry-run",
      description = "Only read the cluster and show what would be created or changed.")
  private boolean dryRun;

  @Option(
      names = "--namespace-map",
      split = ",",
      paramLabel = "OLD=NEW",
      description =
          "Restore namespace OLD as NEW (beside the original); repeat or separate by commas."
              + " Bindings that stay where they were (cluster-scoped, or in a namespace not"
              + " mapped) but name a mapped namespace's subjects are skipped, never rewritten:"
              + " rewriting them would take the binding away from the original.")
  private List<String> namespaceMap;

  @Option(
      names = {"--namespace", "--namespaces"},
      split = ",",
      paramLabel = "NS",
      description =
          "Restore only these namespaces of the backup (names before mapping); cluster-scoped"
              + " objects are then left alone. Default: everything in the backup.")
  private List<String> namespaces;

  @Option(
      names = "--force-conflicts",
      description =
          "Take over fields another field manager owns (default: such an object fails with the"
              + " conflict named).")
  private boolean forceConflicts;

  @Option(
      names = "--crd-timeout",
      paramLabel = "SECONDS",
      description = "How long to wait for restored CRDs to be established (default 60).")
  private Integer crdTimeout;

  private final Map<String, String> mapping = new HashMap<>();

  @Override
  protected void validate(ConfigProblems problems) {
    if (namespaceMap != null) {
      for (String pair : namespaceMap) {
        String[] p = pair.strip().split("=", -1);
        if (pair.isBlank()) {
          continue;
        }
        if (p.length != 2 || !NS.matcher(p[0]).matches() || !NS.matcher(p[1]).matches()) {
          problems.add(
              EnvironmentDefaults.describe("--namespace-map"),
              "'" + pair + "' is not OLD=NEW with two namespace names");
        } else if (mapping.put(p[0], p[1]) != null) {
          problems.add(
              EnvironmentDefaults.describe("--namespace-map"), "'" + p[0] + "' is mapped twice");
        }
      }
    }
    if (namespaces != null) {
      namespaces = namespaces.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
    if (crdTimeout == null) {
      crdTimeout = 60;
    } else if (crdTimeout < 0) {
      problems.add(EnvironmentDefaults.describe("--crd-timeout"), "must not be negative");
    }
  }

  @Override
  protected int runManifests() throws Exception {
    BlobStore store = repository.openStore();
    Repository repo = openRepositoryToRead(store);
    BackupRecord record = resolve(repo);
    PartRecord part =
        record
            .part(archivePart(record))
            .orElseThrow(
                () ->
                    JobException.failed(
                        "unable to restore backup " + record.id() + ": its record names no archive",
                        null));
    KeyEncryptionKey kek = repository.kek();
    BackupReader reader = openBackup(repo, record, kek, "restore backup", "nothing was restored");
    reader.checkStoredParts();
    // Applied objects stay applied: the whole archive is authenticated before the first write, so
    // a backup tampered at its end is refused with nothing applied.
    reader.checkPart(part);
    try (KubernetesClient client = newClient();
        MDC.MDCCloseable id = MDC.putCloseable("backup_id", record.id().value())) {
      Map<String, String> details = new LinkedHashMap<>();
      details.put("server", String.valueOf(client.getMasterUrl()));
      details.put("dryRun", Boolean.toString(dryRun));
      details.put(
          "namespaceMap", String.join(",", namespaceMap == null ? List.of() : namespaceMap));
      details.put("namespaces", String.join(",", namespaces == null ? List.of() : namespaces));
      auditRestore(
          store, dryRun ? AuditAction.READ : AuditAction.RESTORE, record, "backup", details);
      new ManifestApply(
              new Applier(client, dryRun, forceConflicts),
              new ManifestRestorePlan(namespaces == null ? List.of() : namespaces, mapping),
              dryRun,
              crdTimeout,
              out())
          .run(reader, part, record);
      return ExitCodes.DONE;
    }
  }

  private static String archivePart(BackupRecord record) throws JobException {
    try {
      return ManifestFacts.of(record).archivePart();
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "unable to restore backup " + record.id() + ": " + e.getMessage(), e);
    }
  }

  private BackupRecord resolve(Repository repo) throws IOException, JobException {
    if (backupId.latest()) {
      return repo.catalog()
          .latest(BackupKind.MANIFESTS)
          .orElseThrow(
              () ->
                  JobException.badInput(
                      "unable to restore latest backup: the repository holds no manifests backup"));
    }
    return findBackup(repo.catalog(), backupId.id(), BackupKind.MANIFESTS, "restore");
  }
}
