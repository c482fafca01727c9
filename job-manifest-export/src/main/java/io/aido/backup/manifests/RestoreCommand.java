package io.aido.backup.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.kubernetes.ObjectYaml;
import io.aido.backup.kubernetes.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore}: applies a {@code manifests} backup to the cluster in dependency order ({@link
 * ApplyOrder}), streaming the archive once, with server-side apply under the field manager {@value
 * ManifestCommand#FIELD_MANAGER}. It never deletes anything.
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
  private static final Logger LOG = LoggerFactory.getLogger(RestoreCommand.class);
  private static final ObjectMapper JSON = new ObjectMapper();
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
            .part(String.valueOf(record.facts().getOrDefault("archivePart", ManifestArchive.PART)))
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
      try {
        audit(store)
            .record(
                dryRun ? AuditAction.READ : AuditAction.RESTORE,
                record.kind(),
                record.id(),
                details);
      } catch (IOException e) {
        throw JobException.failed(
            "unable to restore backup "
                + record.id()
                + ": unable to write its audit event: "
                + e.getMessage()
                + "; nothing was restored",
            e);
      }
      return applyAll(client, reader, part, record);
    }
  }

  private int applyAll(
      KubernetesClient client, BackupReader reader, PartRecord part, BackupRecord record)
      throws Exception {
    Applier applier = new Applier(client, dryRun, forceConflicts);
    Map<Applier.Outcome, Integer> tally = new EnumMap<>(Applier.Outcome.class);
    for (Applier.Outcome o : Applier.Outcome.values()) {
      tally.put(o, 0);
    }
    Map<String, ResourceType> types = new HashMap<>();
    long read = 0;
    int skipped = 0;
    long indexObjects = -1;
    int lastRank = -1;
    boolean crdsAwaited = false;
    int toolkit = 0;
    try (InputStream in = reader.openPart(part);
        ManifestArchive.Reader archive = new ManifestArchive.Reader(in)) {
      String path;
      while ((path = archive.next()) != null) {
        if (path.equals(ManifestArchive.TYPES)) {
          for (JsonNode t : JSON.readTree(archive.content())) {
            ResourceType type =
                new ResourceType(
                    t.path("group").asText(),
                    t.path("version").asText(),
                    t.path("kind").asText(),
                    t.path("plural").asText(),
                    t.path("namespaced").asBoolean(),
                    List.of("get", "list", "create", "patch"));
            types.put(type.group() + "/" + type.kind(), type);
          }
          continue;
        }
        if (path.equals(ManifestArchive.INDEX)) {
          indexObjects = JSON.readTree(archive.content()).path("objects").asLong(-1);
          continue;
        }
        if (!path.startsWith("namespaces/") && !path.startsWith("cluster/")) {
          continue; // the Helm tree is for people; the release Secrets restore the history
        }
        read++;
        GenericKubernetesResource object = ObjectYaml.read(archive.content());
        String label = label(object);
        ResourceType type =
            types.get(SkipRules.group(object.getApiVersion()) + "/" + object.getKind());
        if (type == null) {
          tally.merge(Applier.Outcome.FAILED, 1, Integer::sum);
          print("failed", label, "its type is not in the archive's types.json");
          continue;
        }
        int rank = ApplyOrder.rank(type.group(), type.kind(), type.namespaced());
        if (rank > ApplyOrder.CRDS && !crdsAwaited) {
          crdsAwaited = true;
          if (!dryRun) {
            List<String> late = applier.awaitCrds(Duration.ofSeconds(crdTimeout));
            for (String crd : late) {
              tally.merge(Applier.Outcome.FAILED, 1, Integer::sum);
              LOG.warn("CustomResourceDefinition {} not established after {} s", crd, crdTimeout);
              print(
                  "failed",
                  "CustomResourceDefinition " + crd,
                  "not established after " + crdTimeout + " s");
            }
          }
        }
        if (rank < lastRank) {
          LOG.warn("{} comes after objects of a later rank; applied in archive order", label);
        }
        lastRank = Math.max(lastRank, rank);
        if (!selected(type, object)) {
          continue;
        }
        if (SkipRules.isToolkitObject(object)) {
          toolkit++;
          print("skipped", label, "the backup toolkit's own object, installed from k8s/");
          continue;
        }
        String movedSubjects = subjectsMovedAwayFromTheOriginal(type, object);
        if (movedSubjects != null) {
          skipped++;
          LOG.warn("{} skipped: {}", label, movedSubjects);
          print("skipped", label, movedSubjects);
          continue;
        }
        remap(type, object);
        label = label(object);
        Applier.Applied applied = applier.apply(type, object);
        tally.merge(applied.outcome(), 1, Integer::sum);
        switch (applied.outcome()) {
          case CREATED -> print(dryRun ? "would create" : "created", label, null);
          case UPDATED ->
              print(
                  dryRun ? "would change" : "changed", label, String.join(", ", applied.changes()));
          case FAILED -> print("failed", label, applied.reason());
          case UNCHANGED -> {}
        }
      }
      archive.drain();
    } catch (PartReadException e) {
      int applied = tally.get(Applier.Outcome.CREATED) + tally.get(Applier.Outcome.UPDATED);
      throw JobException.failed(
          PartReadException.withoutOutcome(e)
              + " (read a second time, after the whole archive had been authenticated: it changed"
              + " in the store, or the store failed); "
              + (applied == 0 || dryRun
                  ? "nothing was restored"
                  : applied
                      + " object(s) were applied before and stay applied, nothing was deleted"),
          e);
    }
    if (indexObjects >= 0 && indexObjects != read) {
      throw JobException.failed(
          "backup "
              + record.id()
              + ": the archive holds "
              + read
              + " object(s) but its index says "
              + indexObjects
              + "; what was applied stays applied",
          null);
    }
    int failed = tally.get(Applier.Outcome.FAILED);
    out()
        .printf(
            Locale.ROOT,
            "%s %s: %d %s, %d %s, %d unchanged, %d failed%s%s%n",
            dryRun ? "dry run of backup" : "restored backup",
            record.id(),
            tally.get(Applier.Outcome.CREATED),
            dryRun ? "would be created" : "created",
            tally.get(Applier.Outcome.UPDATED),
            dryRun ? "would change" : "changed",
            tally.get(Applier.Outcome.UNCHANGED),
            failed,
            skipped == 0 ? "" : ", " + skipped + " skipped",
            toolkit == 0 ? "" : "; " + toolkit + " of the backup toolkit's own skipped");
    LOG.info("{} {}: {}", dryRun ? "dry run of" : "restore of", record.id(), tally);
    if (failed > 0) {
      throw JobException.failed(
          failed
              + " object(s) of backup "
              + record.id()
              + " failed to apply (reasons above); the others were applied, nothing was deleted",
          null);
    }
    return ExitCodes.DONE;
  }

  private boolean selected(ResourceType type, GenericKubernetesResource object) {
    if (namespaces == null || namespaces.isEmpty()) {
      return true;
    }
    if (type.group().isEmpty() && type.kind().equals("Namespace")) {
      return namespaces.contains(object.getMetadata().getName());
    }
    return type.namespaced() && namespaces.contains(object.getMetadata().getNamespace());
  }

  /**
   * Why {@code object} must not be applied under the mapping: it keeps its name and namespace (it
   * is cluster-scoped, or its namespace is not mapped), so it is the original's own object, yet its
   * subjects name a mapped namespace; mapping them would rewrite the original's binding and take it
   * away from the original's service accounts. Null when it may be applied.
   */
  private String subjectsMovedAwayFromTheOriginal(
      ResourceType type, GenericKubernetesResource object) {
    if (mapping.isEmpty()
        || !type.group().equals("rbac.authorization.k8s.io")
        || (type.namespaced() && mapping.containsKey(object.getMetadata().getNamespace()))
        || !(object.getAdditionalProperties().get("subjects") instanceof List<?> subjects)) {
      return null;
    }
    for (Object s : subjects) {
      if (s instanceof Map<?, ?> subject
          && subject.get("namespace") instanceof String ns
          && mapping.containsKey(ns)) {
        return "it stays the original's own object but names subjects of namespace '"
            + ns
            + "', which --namespace-map moves; mapping them would take the binding away from the"
            + " original (bind the new namespace's subjects by hand if they need it)";
      }
    }
    return null;
  }

  private void remap(ResourceType type, GenericKubernetesResource object) {
    if (mapping.isEmpty()) {
      return;
    }
    if (type.group().isEmpty() && type.kind().equals("Namespace")) {
      String to = mapping.get(object.getMetadata().getName());
      if (to != null) {
        object.getMetadata().setName(to);
        Map<String, String> labels = object.getMetadata().getLabels();
        if (labels != null && labels.containsKey("kubernetes.io/metadata.name")) {
          labels.put("kubernetes.io/metadata.name", to);
        }
      }
      return;
    }
    if (type.namespaced()) {
      String to = mapping.get(object.getMetadata().getNamespace());
      if (to != null) {
        object.getMetadata().setNamespace(to);
      }
    }
    if (type.group().equals("rbac.authorization.k8s.io")
        && object.getAdditionalProperties().get("subjects") instanceof List<?> subjects) {
      for (Object s : subjects) {
        if (s instanceof Map<?, ?> subject && subject.get("namespace") instanceof String ns) {
          Optional.ofNullable(mapping.get(ns))
              .ifPresent(to -> castMap(subject).put("namespace", to));
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  private void print(String what, String label, String detail) {
    out().println(what + " " + label + (detail == null || detail.isEmpty() ? "" : ": " + detail));
  }

  private static String label(GenericKubernetesResource o) {
    String group = SkipRules.group(o.getApiVersion());
    String kind = group.isEmpty() ? o.getKind() : o.getKind() + "." + group;
    String ns = o.getMetadata().getNamespace();
    return kind + " " + (ns == null ? "" : ns + "/") + o.getMetadata().getName();
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
    BackupRecord r =
        repo.catalog()
            .find(backupId.id())
            .orElseThrow(
                () ->
                    JobException.badInput(
                        "unable to restore missing backup " + backupId + ": no such backup"));
    if (r.kind() != BackupKind.MANIFESTS) {
      throw JobException.badInput(
          "unable to restore backup "
              + backupId
              + ": it is a "
              + r.kind()
              + " backup, not manifests");
    }
    return r;
  }
}
