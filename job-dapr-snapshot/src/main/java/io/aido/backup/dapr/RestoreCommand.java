package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.BackupIdOptions;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore}: writes the state-store snapshots of one {@code dapr} backup back into the stores
 * that the same-named Components point at now, and compares the keys written with the record.
 *
 * <p>Order: resolve the backup; unwrap its data key (a wrong key stops here); find each recorded
 * store's Component in the cluster (same namespace and name) and resolve its connection; check
 * every target first: a store holding live keys in the restore's scope is refused (exit 2, nothing
 * written anywhere) unless {@code --clean}; write the audit event; restore store by store; print
 * recorded and restored counts. Exit 1 if a store's count differs from the record (entries that
 * expired since the snapshot are counted apart and expected).
 *
 * <p>A backup with a Scheduler part ({@link SchedulerStore}) also restores the actor reminders and
 * jobs of its namespaces (narrowed by {@code --namespace}, {@code --app-id}, {@code --actor-type})
 * into the running Scheduler, checked for live entries with the stores and refused the same way;
 * {@code --scheduler off} leaves them out, {@code only} restores nothing else. A backup that holds
 * them fails (exit 1, nothing restored) when no Scheduler is found, rather than restoring actors
 * whose reminders never fire.
 *
 * <p>The Dapr resources themselves ({@code resources.yaml}) are not applied: in a disaster Helm
 * re-creates the Components, and the cleaned YAML in the backup can be applied by hand.
 */
@Command(
    name = "restore",
    description = {
      "Restore the state stores of a dapr backup into the stores the same-named Components point"
          + " at, and its actor reminders and jobs into the Dapr Scheduler, then compare the keys"
          + " restored with the backup record.",
      "A store or Scheduler that holds live keys in the restore's scope is refused unless"
          + " --clean."
    })
public final class RestoreCommand extends DaprCommand {

  @Mixin private RepositoryOptions repository;

  @Mixin BackupIdOptions backupId;

  @Option(
      names = "--clean",
      description = "Remove the live keys in the restore's scope from each store first.")
  private boolean clean;

  @Override
  protected int run() throws Exception {
    BlobStore blobs = repository.openStore();
    Repository repo = openRepositoryToRead(blobs);
    BackupRecord record;
    try {
      record = repo.catalog().resolve(backupId.value(), BackupKind.DAPR);
    } catch (IOException e) {
      throw JobException.badInput("unable to restore: " + e.getMessage());
    }
    KeyEncryptionKey kek = repository.kek();
    BackupReader reader = openBackup(repo, record, kek, "restore backup", "nothing was restored");
    reader.checkStoredParts();
    DaprRestorePlan plan;
    try {
      plan =
          DaprRestorePlan.of(
              record.id().value(),
              DaprSnapshotFacts.of(record),
              keyFilter(),
              schedulerOnly(),
              this::storeSelected,
              storeOption(),
              namespaceOption());
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "unable to restore backup " + record.id() + ": " + e.getMessage(), e);
    }
    List<DaprRestore.Target> targets = new ArrayList<>();
    if (!plan.stores().isEmpty()) {
      findStores(record, plan.stores(), targets);
    }
    SchedulerAccess.Target scheduler = findScheduler(record, plan);
    try (SchedulerAccess.Target ignored = scheduler) {
      DaprRestore steps = new DaprRestore(record, reader, plan, clean, out(), clock());
      steps.check(targets, scheduler);
      audit(blobs, record, targets, scheduler, plan.filter());
      steps.restore(targets, scheduler);
      return ExitCodes.DONE;
    }
  }

  /**
   * The running Scheduler to restore the backup's Scheduler part into, or null when it holds none
   * or {@code --scheduler off}.
   */
  private SchedulerAccess.Target findScheduler(BackupRecord record, DaprRestorePlan plan)
      throws JobException {
    if (plan.scheduler().isEmpty()) {
      return null;
    }
    SchedulerAccess.Found found = scheduler(true, "nothing was restored");
    if (found.target().isEmpty() && !found.absent().equals("--scheduler off")) {
      throw JobException.failed(
          "unable to restore backup "
              + record.id()
              + ": it holds Dapr Scheduler reminders and jobs, but there is no Scheduler to"
              + " write them to ("
              + found.absent()
              + "); give --scheduler off to restore the state stores without them; nothing"
              + " was restored",
          null);
    }
    if (plan.schedulerOutOfScope()) {
      found.target().ifPresent(SchedulerAccess.Target::close);
      throw JobException.badInput(
          "unable to restore backup "
              + record.id()
              + ": its Scheduler part holds none of the namespaces "
              + String.join(",", namespaceOption())
              + "; nothing was restored");
    }
    return found.target().orElse(null);
  }

  private void audit(
      BlobStore blobs,
      BackupRecord record,
      List<DaprRestore.Target> targets,
      SchedulerAccess.Target scheduler,
      KeyFilter filter)
      throws JobException {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("stores", String.join(",", targets.stream().map(DaprRestore.Target::id).toList()));
    details.put("scheduler", Boolean.toString(scheduler != null));
    details.put("clean", Boolean.toString(clean));
    details.put("appIds", String.join(",", filter.appIds()));
    details.put("actorTypes", String.join(",", filter.actorTypes()));
    auditRestore(blobs, AuditAction.RESTORE, record, "backup", details);
  }

  private void findStores(
      BackupRecord record,
      List<DaprSnapshotFacts.Store> recordedStores,
      List<DaprRestore.Target> targets)
      throws JobException {
    try (KubernetesClient client = kubernetes()) {
      DaprDiscovery discovery = new DaprDiscovery(client);
      ResourceDefinitionContext components;
      try {
        components = discovery.servedKinds().get("Component");
      } catch (IOException e) {
        throw JobException.failed(e.getMessage() + "; nothing was restored", e);
      }
      if (components == null) {
        throw JobException.failed(
            "the cluster serves no dapr.io Component kind; nothing was restored", null);
      }
      for (DaprSnapshotFacts.Store s : recordedStores) {
        targets.add(target(discovery, components, record, s));
      }
    }
  }

  private DaprRestore.Target target(
      DaprDiscovery discovery,
      ResourceDefinitionContext components,
      BackupRecord record,
      DaprSnapshotFacts.Store s)
      throws JobException {
    String ns = s.namespace();
    String name = s.name();
    PartRecord part =
        record
            .part(s.part())
            .orElseThrow(
                () ->
                    JobException.failed(
                        "unable to restore backup "
                            + record.id()
                            + ": its record names no part for "
                            + ns
                            + "/"
                            + name,
                        null));
    try {
      GenericKubernetesResource component =
          discovery.list(components, ns).stream()
              .filter(r -> name.equals(r.getMetadata().getName()))
              .findFirst()
              .orElseThrow(
                  () ->
                      JobException.badInput(
                          "unable to restore state store "
                              + ns
                              + "/"
                              + name
                              + ": no such Component in the cluster (apply it first, e.g. from"
                              + " the backup's resources.yaml); nothing was restored"));
      DaprDiscovery.Resolution resolution = discovery.resolve(component);
      if (resolution.unsupported() != null) {
        throw JobException.badInput(
            "unable to restore state store " + ns + "/" + name + ": " + resolution.unsupported());
      }
      StateStores.Opening opening = StateStores.open(resolution.component());
      if (opening.store().isEmpty()) {
        throw JobException.badInput(
            "unable to restore state store " + ns + "/" + name + ": " + opening.unsupported());
      }
      return new DaprRestore.Target(s, part, opening.store().get());
    } catch (IOException e) {
      throw JobException.failed(e.getMessage() + "; nothing was restored", e);
    } catch (IllegalArgumentException e) {
      throw JobException.badInput(e.getMessage() + "; nothing was restored");
    }
  }
}
