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
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  /** One recorded store and where it goes. */
  private record Target(Map<String, Object> recorded, PartRecord part, StateStore store) {
    String id() {
      return recorded.get("namespace") + "/" + recorded.get("name");
    }
  }

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
    KeyFilter filter = keyFilter();
    List<Map<String, Object>> recordedStores = schedulerOnly() ? List.of() : recordedStores(record);
    Map<String, Object> recordedScheduler = recordedScheduler(record);
    if (recordedStores.isEmpty() && recordedScheduler == null) {
      throw JobException.badInput(
          "unable to restore backup "
              + record.id()
              + ": it holds no state store in scope"
              + (schedulerOnly() ? " and no Dapr Scheduler part" : "")
              + (storeOption().isEmpty()
                  ? ""
                  : " (--store " + String.join(",", storeOption()) + ")"));
    }

    List<Target> targets = new ArrayList<>();
    if (!recordedStores.isEmpty()) {
      findStores(record, recordedStores, targets);
    }
    SchedulerAccess.Target scheduler = null;
    List<String> schedulerNamespaces = List.of();
    if (recordedScheduler != null) {
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
      schedulerNamespaces = schedulerNamespaces(recordedScheduler);
      if (!namespaceOption().isEmpty()) {
        schedulerNamespaces =
            schedulerNamespaces.stream().filter(namespaceOption()::contains).toList();
        if (schedulerNamespaces.isEmpty()) {
          found.target().ifPresent(SchedulerAccess.Target::close);
          throw JobException.badInput(
              "unable to restore backup "
                  + record.id()
                  + ": its Scheduler part holds none of the namespaces "
                  + String.join(",", namespaceOption())
                  + "; nothing was restored");
        }
      }
      scheduler = found.target().orElse(null);
    }
    try (SchedulerAccess.Target ignored = scheduler) {
      return restore(
          blobs,
          record,
          reader,
          filter,
          targets,
          scheduler,
          recordedScheduler,
          schedulerNamespaces);
    }
  }

  private void findStores(
      BackupRecord record, List<Map<String, Object>> recordedStores, List<Target> targets)
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
      for (Map<String, Object> s : recordedStores) {
        targets.add(target(discovery, components, record, s));
      }
    }
  }

  private int restore(
      BlobStore blobs,
      BackupRecord record,
      BackupReader reader,
      KeyFilter filter,
      List<Target> targets,
      SchedulerAccess.Target scheduler,
      Map<String, Object> recordedScheduler,
      List<String> schedulerNamespaces)
      throws JobException, IOException {
    for (Target t : targets) {
      long live = t.store().liveKeys(filter);
      if (live > 0 && !clean) {
        throw JobException.badInput(
            "unable to restore backup "
                + record.id()
                + ": state store "
                + t.id()
                + " holds "
                + live
                + " live key(s) in the restore's scope; give --clean to replace them; nothing"
                + " was restored");
      }
    }

    if (scheduler != null) {
      long live;
      try {
        live = scheduler.store().liveEntries(schedulerNamespaces, filter);
      } catch (IOException e) {
        throw JobException.failed(e.getMessage() + "; nothing was restored", e);
      }
      if (live > 0 && !clean) {
        throw JobException.badInput(
            "unable to restore backup "
                + record.id()
                + ": the Dapr Scheduler at "
                + scheduler.where()
                + " holds "
                + live
                + " reminder, job or counter entries in the restore's scope; give --clean to"
                + " replace them; nothing was restored");
      }
    }

    // Stores are written one after the other and Redis key by key: every part is authenticated
    // in full first, so a backup tampered at its end is refused before the first write.
    for (Target t : targets) {
      reader.checkPart(t.part());
    }
    if (scheduler != null && recordedScheduler != null) {
      Optional<PartRecord> schedulerPart =
          record.part(String.valueOf(recordedScheduler.get("part")));
      if (schedulerPart.isPresent()) {
        reader.checkPart(schedulerPart.get());
      }
    }

    Map<String, String> details = new LinkedHashMap<>();
    details.put("stores", String.join(",", targets.stream().map(Target::id).toList()));
    details.put("scheduler", Boolean.toString(scheduler != null));
    details.put("clean", Boolean.toString(clean));
    details.put("appIds", String.join(",", filter.appIds()));
    details.put("actorTypes", String.join(",", filter.actorTypes()));
    try {
      audit(blobs).record(AuditAction.RESTORE, record.kind(), record.id(), details);
    } catch (IOException e) {
      throw JobException.failed(
          "unable to restore backup "
              + record.id()
              + ": unable to write its audit event: "
              + e.getMessage()
              + "; nothing was restored",
          e);
    }

    List<String> differing = new ArrayList<>();
    for (Target t : targets) {
      StateStore.RestoreStats stats;
      try (StateStore store = t.store();
          InputStream in = reader.openPart(t.part());
          SnapshotFormat.Reader snapshot = new SnapshotFormat.Reader(in, t.part().name())) {
        stats = store.restore(snapshot, filter, clean);
      } catch (StateStore.LiveDataException e) {
        throw JobException.badInput(
            "unable to restore state store "
                + t.id()
                + " (written to since the check): "
                + e.getMessage());
      } catch (IOException e) {
        throw JobException.failed(
            "unable to restore backup "
                + record.id()
                + " into state store "
                + t.id()
                + ": "
                + e.getMessage(),
            e);
      }
      KeyCounts recorded = KeyCounts.fromFacts(t.recorded().get("counts"));
      Optional<Long> expected = expected(recorded, filter);
      long restored = stats.counts().total();
      boolean matches =
          expected.map(x -> x == restored + stats.expiredSinceSnapshot()).orElse(true);
      out()
          .printf(
              "state store %s: recorded %s, restored %d %s, %d expired since the snapshot, %d"
                  + " removed by --clean%s%s%n",
              t.id(),
              expected.map(Object::toString).orElse("(not known for this filter)"),
              restored,
              stats.counts().byKind(),
              stats.expiredSinceSnapshot(),
              stats.removed(),
              stats.etagsKept() ? "" : "; ETags are new (PostgreSQL v1 ETags are transaction ids)",
              matches ? "" : "  DIFFERS");
      if (!matches) {
        differing.add(t.id());
      }
    }
    if (scheduler != null
        && !restoreScheduler(
            record, reader, filter, scheduler, recordedScheduler, schedulerNamespaces)) {
      differing.add("the Dapr Scheduler");
    }
    if (!differing.isEmpty()) {
      throw JobException.failed(
          "restored backup "
              + record.id()
              + ", but the key count of "
              + String.join(", ", differing)
              + " differs from the record",
          null);
    }
    out()
        .printf(
            "restored backup %s into %d state store(s)%s%n",
            record.id(), targets.size(), scheduler == null ? "" : " and the Dapr Scheduler");
    return ExitCodes.DONE;
  }

  /** Restores the Scheduler part; whether its counts match the record. */
  private boolean restoreScheduler(
      BackupRecord record,
      BackupReader reader,
      KeyFilter filter,
      SchedulerAccess.Target scheduler,
      Map<String, Object> recorded,
      List<String> namespaces)
      throws JobException {
    String partName = String.valueOf(recorded.get("part"));
    PartRecord part =
        record
            .part(partName)
            .orElseThrow(
                () ->
                    JobException.failed(
                        "unable to restore backup "
                            + record.id()
                            + ": its record names no part "
                            + partName,
                        null));
    SchedulerStore.RestoreStats stats;
    try (InputStream in = reader.openPart(part);
        SnapshotFormat.Reader snapshot = new SnapshotFormat.Reader(in, partName)) {
      stats = scheduler.store().restore(snapshot, namespaces, filter, clean, clock().instant());
    } catch (StateStore.LiveDataException e) {
      throw JobException.badInput(
          "unable to restore the Dapr Scheduler (written to since the check): " + e.getMessage());
    } catch (IOException e) {
      throw JobException.failed(
          "unable to restore backup "
              + record.id()
              + " into the Dapr Scheduler at "
              + scheduler.where()
              + ": "
              + e.getMessage(),
          e);
    }
    SchedulerCounts counts = SchedulerCounts.fromFacts(recorded.get("counts"));
    Optional<Long> expected = expectedScheduler(counts, filter, namespaces, recorded);
    long restored = stats.counts().reminders() + stats.counts().jobs();
    boolean matches = expected.map(x -> x == restored + stats.expiredSinceSnapshot()).orElse(true);
    out()
        .printf(
            "Dapr Scheduler %s: recorded %s reminder(s) and job(s), restored %d (%s), %d due"
                + " while away (the Scheduler fires them now), %d expired since the snapshot,"
                + " %d removed by --clean%s%n",
            scheduler.where(),
            expected.map(Object::toString).orElse("(not known for this filter)"),
            restored,
            stats.counts(),
            stats.duePassed(),
            stats.expiredSinceSnapshot(),
            stats.removed(),
            matches ? "" : "  DIFFERS");
    return matches;
  }

  /** The recorded reminders and jobs in scope, when the record's counts can tell. */
  static Optional<Long> expectedScheduler(
      SchedulerCounts recorded,
      KeyFilter filter,
      List<String> namespaces,
      Map<String, Object> facts) {
    List<String> all = schedulerNamespaces(facts);
    if (!namespaces.containsAll(all)) {
      if (!filter.all()) {
        return Optional.empty();
      }
      return Optional.of(
          namespaces.stream().mapToLong(n -> recorded.byNamespace().getOrDefault(n, 0L)).sum());
    }
    if (filter.all()) {
      return Optional.of(recorded.reminders() + recorded.jobs());
    }
    if (filter.actorTypes().isEmpty()) {
      return Optional.of(
          filter.appIds().stream().mapToLong(a -> recorded.byApp().getOrDefault(a, 0L)).sum());
    }
    if (filter.appIds().isEmpty()) {
      return Optional.of(
          filter.actorTypes().stream()
              .mapToLong(a -> recorded.byActorType().getOrDefault(a, 0L))
              .sum());
    }
    return Optional.of(0L);
  }

  /** The record's Scheduler facts, or null if it holds no Scheduler part. */
  private static Map<String, Object> recordedScheduler(BackupRecord record) {
    if (record.facts().get("scheduler") instanceof Map<?, ?> m && m.get("part") != null) {
      Map<String, Object> f = new LinkedHashMap<>();
      m.forEach((k, v) -> f.put(String.valueOf(k), v));
      return f;
    }
    return null;
  }

  /** The recorded namespaces. */
  private static List<String> schedulerNamespaces(Map<String, Object> facts) {
    List<String> recorded = new ArrayList<>();
    if (facts.get("namespaces") instanceof List<?> l) {
      l.forEach(n -> recorded.add(String.valueOf(n)));
    }
    return recorded;
  }

  /** The recorded stores selected by {@code --store}. */
  private List<Map<String, Object>> recordedStores(BackupRecord record) {
    List<Map<String, Object>> stores = new ArrayList<>();
    if (record.facts().get("stores") instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof Map<?, ?> m) {
          Map<String, Object> s = new LinkedHashMap<>();
          m.forEach((k, v) -> s.put(String.valueOf(k), v));
          if (storeSelected(String.valueOf(s.get("namespace")), String.valueOf(s.get("name")))) {
            stores.add(s);
          }
        }
      }
    }
    return stores;
  }

  private Target target(
      DaprDiscovery discovery,
      ResourceDefinitionContext components,
      BackupRecord record,
      Map<String, Object> s)
      throws JobException {
    String ns = String.valueOf(s.get("namespace"));
    String name = String.valueOf(s.get("name"));
    PartRecord part =
        record
            .part(String.valueOf(s.get("part")))
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
      return new Target(s, part, opening.store().get());
    } catch (IOException e) {
      throw JobException.failed(e.getMessage() + "; nothing was restored", e);
    } catch (IllegalArgumentException e) {
      throw JobException.badInput(e.getMessage() + "; nothing was restored");
    }
  }

  /**
   * How many keys the record says are in scope: all of them, the sum for the app ids, or the sum
   * for the actor types; unknown for both filters at once.
   */
  static Optional<Long> expected(KeyCounts recorded, KeyFilter filter) {
    if (filter.all()) {
      return Optional.of(recorded.total());
    }
    if (filter.actorTypes().isEmpty()) {
      return Optional.of(
          filter.appIds().stream().mapToLong(a -> recorded.byApp().getOrDefault(a, 0L)).sum());
    }
    if (filter.appIds().isEmpty()) {
      return Optional.of(
          filter.actorTypes().stream()
              .mapToLong(a -> recorded.byActorType().getOrDefault(a, 0L))
              .sum());
    }
    return Optional.empty();
  }
}
