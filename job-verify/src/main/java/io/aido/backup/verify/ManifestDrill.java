package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.kubernetes.manifests.Applier;
import io.aido.backup.kubernetes.manifests.HelmHistory;
import io.aido.backup.kubernetes.manifests.ManifestApply;
import io.aido.backup.kubernetes.manifests.ManifestFacts;
import io.aido.backup.kubernetes.manifests.ManifestRestorePlan;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The drill's {@code manifests} step: the newest manifests backup applied into the scratch
 * namespace by the {@code restore} command's own code ({@link ManifestRestorePlan}, {@link
 * ManifestApply}), each recorded namespace mapped there (or as {@code --namespace-map} says), as a
 * server-side dry run unless {@code --apply}; cluster-scoped objects and the Namespace objects are
 * left alone. Then the Helm release history is checked: every recorded revision is in the archive
 * and decodes ({@link HelmHistory}).
 *
 * <p>With {@code --apply} every object the step created is deleted afterwards, newest first; a dry
 * run stores nothing, and the objects it would have created are deleted all the same in case the
 * server ignored the dry run (deleting a missing object is a no-op). The recovery point is the
 * export's start.
 */
final class ManifestDrill {
  static final String COMPONENT = "manifests";
  private static final int CRD_TIMEOUT_SECONDS = 60;

  private final Repository repo;
  private final KeyEncryptionKey kek;
  private final Supplier<KubernetesClient> clients;
  private final String scratchNamespace;
  private final Map<String, String> namespaceMap;
  private final boolean apply;
  private final Clock clock;
  private final PrintStream out;

  ManifestDrill(
      Repository repo,
      KeyEncryptionKey kek,
      Supplier<KubernetesClient> clients,
      String scratchNamespace,
      Map<String, String> namespaceMap,
      boolean apply,
      Clock clock,
      PrintStream out) {
    this.repo = repo;
    this.kek = kek;
    this.clients = clients;
    this.scratchNamespace = scratchNamespace;
    this.namespaceMap = Map.copyOf(namespaceMap);
    this.apply = apply;
    this.clock = clock;
    this.out = out;
  }

  DrillStep run(BackupRecord record) {
    DrillStep.Log log = new DrillStep.Log(COMPONENT);
    log.backup(record.id().value());
    CheckedArchive archive = openArchive(record, log);
    if (archive == null) {
      return log.result();
    }
    Map<String, String> mapping = mapping(archive.facts());
    try (KubernetesClient client = clients.get()) {
      if (!targetsExist(client, mapping, log)) {
        return log.result();
      }
      out.printf(
          "manifests: %s backup %s into %s%n",
          apply ? "applying" : "server-side dry run of", record.id(), mapping);
      List<ManifestApply.Created> created = applyInto(client, archive, record, mapping, log);
      helm(archive.reader(), archive.part(), archive.facts(), log);
      if (log.result().status() == DrillStep.Status.PASSED) {
        log.recoveryPoint(record.startedAt());
      }
      delete(client, created, log);
    }
    DrillStep step = log.result();
    out.printf("manifests: %s%n", step.status().name().toLowerCase(Locale.ROOT));
    return step;
  }

  /** A manifests backup's facts and archive part, its stored parts checked, ready to read. */
  private record CheckedArchive(ManifestFacts facts, PartRecord part, BackupReader reader) {}

  /** The archive of {@code record}, checked; {@code null} after logging why it cannot be read. */
  private CheckedArchive openArchive(BackupRecord record, DrillStep.Log log) {
    ManifestFacts facts;
    PartRecord part;
    try {
      facts = ManifestFacts.of(record);
      part =
          record
              .part(facts.archivePart())
              .orElseThrow(() -> new IllegalArgumentException("its record names no archive"));
    } catch (IllegalArgumentException e) {
      log.problem("backup " + record.id() + ": " + e.getMessage());
      return null;
    }
    try {
      BackupReader reader = repo.reader(record, kek);
      reader.checkStoredParts();
      reader.checkPart(part);
      return new CheckedArchive(facts, part, reader);
    } catch (PartReadException | TamperedRecordException e) {
      log.problem(e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      log.error("unable to read backup " + record.id() + ": " + e.getMessage());
    }
    return null;
  }

  /** Each recorded namespace to its {@code --namespace-map} target, else the scratch namespace. */
  private Map<String, String> mapping(ManifestFacts facts) {
    Map<String, String> mapping = new LinkedHashMap<>();
    for (String ns : facts.namespaces()) {
      mapping.put(ns, namespaceMap.getOrDefault(ns, scratchNamespace));
    }
    mapping.putAll(namespaceMap);
    return mapping;
  }

  /** Whether every target namespace exists; logs the first missing one or an unreachable server. */
  private static boolean targetsExist(
      KubernetesClient client, Map<String, String> mapping, DrillStep.Log log) {
    try {
      for (String target : new TreeSet<>(mapping.values())) {
        if (client.namespaces().withName(target).get() == null) {
          log.error(
              "scratch namespace '"
                  + target
                  + "' does not exist on "
                  + client.getMasterUrl()
                  + " (create it, with the drill's RBAC, from k8s/)");
          return false;
        }
      }
      return true;
    } catch (KubernetesClientException e) {
      log.error("unable to reach the API server " + client.getMasterUrl() + ": " + e.getMessage());
      return false;
    }
  }

  /** Applies (or dry-runs) the archive, timing it; returns what was created, to delete later. */
  private List<ManifestApply.Created> applyInto(
      KubernetesClient client,
      CheckedArchive archive,
      BackupRecord record,
      Map<String, String> mapping,
      DrillStep.Log log) {
    Instant t0 = clock.instant();
    ManifestApply steps =
        new ManifestApply(
            apply ? new Applier(client, false, false) : Applier.serverSideDryRun(client),
            new ManifestRestorePlan(archive.facts().namespaces(), mapping).leaveNamespaceObjects(),
            !apply,
            CRD_TIMEOUT_SECONDS,
            out);
    try {
      steps.run(archive.reader(), archive.part(), record);
      log.check(
          archive.facts().objects()
              + " object(s) recorded; every one of the namespaces "
              + (apply ? "applied" : "accepted by a server-side dry run"));
    } catch (JobException e) {
      log.problem(e.getMessage());
    } catch (IOException e) {
      log.error("unable to read backup " + record.id() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.error("interrupted");
    } finally {
      log.restored(Duration.between(t0, clock.instant()));
    }
    return new ArrayList<>(steps.created());
  }

  private static void helm(
      BackupReader reader, PartRecord part, ManifestFacts facts, DrillStep.Log log) {
    try (InputStream in = reader.openPart(part)) {
      HelmHistory history = HelmHistory.check(in, facts.helmReleases());
      history.problems().forEach(log::problem);
      if (history.problems().isEmpty()) {
        log.check(
            "Helm history complete: "
                + history.revisions()
                + " revision(s) of "
                + history.decoded().size()
                + " release(s) decode");
      }
    } catch (PartReadException e) {
      log.problem(e.getMessage());
    } catch (IOException e) {
      log.error("unable to read the archive again for the Helm history: " + e.getMessage());
    }
  }

  private static void delete(
      KubernetesClient client, List<ManifestApply.Created> created, DrillStep.Log log) {
    for (int i = created.size() - 1; i >= 0; i--) {
      ManifestApply.Created c = created.get(i);
      try {
        var resources = client.genericKubernetesResources(c.type().context());
        if (c.namespace() == null) {
          resources.withName(c.name()).delete();
        } else {
          resources.inNamespace(c.namespace()).withName(c.name()).delete();
        }
      } catch (KubernetesClientException e) {
        log.leftover(
            c.type().kind()
                + " "
                + (c.namespace() == null ? "" : c.namespace() + "/")
                + c.name()
                + ": "
                + e.getMessage());
      }
    }
  }
}
