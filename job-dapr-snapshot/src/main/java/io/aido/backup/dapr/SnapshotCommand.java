package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.BackupRun;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snapshot}: the Dapr resources of the chosen namespaces and the data of every supported
 * state store their Components point at, as one backup of kind {@code dapr}.
 *
 * <p>Order: discover the served Dapr kinds and list them in every namespace; skip every state-store
 * Component of a type no class handles without reading its Secrets, resolve the others (each
 * referenced Secret read by name, values never logged) and decide which are supported; with {@code
 * --require-all}, stop here (exit 1, nothing written) if any is not; check the key; write part
 * {@code resources.yaml} (every resource, cleaned by {@link
 * io.aido.backup.kubernetes.ObjectCleaner}, as multi-document YAML that {@code kubectl apply -f}
 * takes) and one part {@code state-<namespace>_<name>.dss} per store ({@link #partName}, {@link
 * SnapshotFormat}); commit the record with the facts {@code namespaces}, {@code resources} (count
 * per kind), {@code stores} (per store: namespace, name, type, version, layout, table, part, counts
 * by kind, app and actor type, expired items left out), {@code skipped} (namespace, name, type,
 * reason), {@code counts} (over all stores) and {@code filters}.
 *
 * <p>The Dapr Scheduler (actor reminders and Jobs API jobs, Dapr 1.15+): found as {@link
 * SchedulerAccess} says (or at {@code --scheduler-endpoints}), read at one etcd revision by {@link
 * SchedulerStore} into part {@value #SCHEDULER_PART}, for the same namespaces and {@code --app-id}
 * / {@code --actor-type} filters; the record's fact {@code scheduler} holds its counts, or {@code
 * skipped} and why. Without a Scheduler, {@code --scheduler auto} warns and goes on, {@code
 * required} fails; one that is found but cannot be read fails the run.
 *
 * <p>A store that is supported but fails (unreachable, a missing Secret) fails the whole run: no
 * record, exit 1; every store is connected to before the first byte is written, so one that cannot
 * be reached leaves nothing behind, and one that refuses its Component's password is exit 2 naming
 * the setting. An unsupported store is skipped with a warning and exit 0.
 */
@Command(
    name = "snapshot",
    description = {
      "Snapshot the Dapr resources (Component, Configuration, Subscription, Resiliency,"
          + " HTTPEndpoint) of the namespaces and the data of every supported state store"
          + " (PostgreSQL v1 and v2, Redis), and the Dapr Scheduler's actor reminders and jobs,"
          + " into the repository as one dapr backup.",
      "Unsupported store types are recorded as skipped (exit 0 with a warning, or 1 with"
          + " --require-all)."
    })
public final class SnapshotCommand extends DaprCommand {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotCommand.class);

  @Mixin private RepositoryOptions repository;

  @Mixin private CompressionOptions compression = new CompressionOptions();

  @Option(
      names = "--require-all",
      description = "Fail (exit 1, nothing written) if any state store cannot be snapshotted.")
  private boolean requireAll;

  /** One state store to snapshot. */
  private record Target(DaprComponent component, StateStore store) {}

  /** What the cluster holds, found before a byte is written. */
  private record Found(
      List<String> namespaces,
      List<GenericKubernetesResource> resources,
      Map<String, Long> perKind,
      List<Target> targets,
      List<DaprSnapshotFacts.Skipped> skipped) {}

  @Override
  protected int run() throws Exception {
    KeyFilter filter = keyFilter();
    Found found = discover();
    for (DaprSnapshotFacts.Skipped s : found.skipped()) {
      warn(
          "state store "
              + s.namespace()
              + "/"
              + s.name()
              + " ("
              + s.type()
              + ") skipped: "
              + s.reason());
    }
    if (requireAll && !found.skipped().isEmpty()) {
      throw JobException.failed(
          found.skipped().size()
              + " state store(s) cannot be snapshotted and --require-all is set; nothing was"
              + " written",
          null);
    }

    for (Target t : found.targets()) {
      check(t);
    }
    KeyEncryptionKey kek = repository.kek();
    Repository repo =
        openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
    BackupRecord record;
    SchedulerAccess.Found scheduler = scheduler(false, "nothing was written");
    if (scheduler.target().isEmpty() && !scheduler.absent().equals("--scheduler off")) {
      warn(
          "no Dapr Scheduler found ("
              + scheduler.absent()
              + "): actor reminders and jobs are not in this backup");
    }
    try (SchedulerAccess.Target target = scheduler.target().orElse(null)) {
      record = write(repo, kek, found, filter, target, scheduler.absent());
    }
    report(record, found);
    return ExitCodes.DONE;
  }

  /**
   * Connects to a store before anything is written: one that cannot be reached fails the run (exit
   * 1), one that refuses its Component's password is a configuration problem (exit 2).
   */
  private static void check(Target t) throws JobException {
    String store = "state store " + t.component().id() + " (" + t.component().type() + "): ";
    try {
      t.store().check();
    } catch (StateStore.CredentialsRefusedException e) {
      throw JobException.badInput(store + e.getMessage() + "; nothing was written");
    } catch (IOException e) {
      throw JobException.failed(store + e.getMessage() + "; nothing was written", e);
    }
  }

  /** Lists the Dapr resources of the namespaces and sorts their state stores. */
  private Found discover() throws JobException {
    List<GenericKubernetesResource> resources = new ArrayList<>();
    Map<String, Long> perKind = new TreeMap<>();
    List<Target> targets = new ArrayList<>();
    List<DaprSnapshotFacts.Skipped> skipped = new ArrayList<>();
    try (KubernetesClient client = kubernetes()) {
      List<String> namespaces = namespaces(client);
      DaprDiscovery discovery = new DaprDiscovery(client);
      Map<String, ResourceDefinitionContext> kinds;
      try {
        kinds = discovery.servedKinds();
      } catch (IOException e) {
        if (ApiErrors.credentialsRefused(e)) {
          throw JobException.badInput(
              "the API server at "
                  + client.getMasterUrl()
                  + " refused "
                  + ApiErrors.CREDENTIALS
                  + ": HTTP 401 Unauthorized; nothing was written");
        }
        throw JobException.failed(e.getMessage() + "; nothing was written", e);
      }
      for (String ns : namespaces) {
        for (ResourceDefinitionContext kind : kinds.values()) {
          List<GenericKubernetesResource> items;
          try {
            items = discovery.list(kind, ns);
          } catch (IOException e) {
            throw JobException.failed(e.getMessage() + "; nothing was written", e);
          }
          perKind.merge(kind.getKind(), (long) items.size(), Long::sum);
          for (GenericKubernetesResource r : items) {
            if (kind.getKind().equals("Component")) {
              select(discovery, r, targets, skipped);
            }
            resources.add(DaprDiscovery.cleaned(r));
          }
        }
      }
      return new Found(namespaces, resources, perKind, targets, skipped);
    }
  }

  /** The run's metrics and its one line of output. */
  private void report(BackupRecord record, Found found) {
    metrics()
        .gauge(
            "dapr_snapshot_skipped_stores",
            "State stores the last snapshot skipped as unsupported.",
            found.skipped().size());
    DaprSnapshotFacts facts = DaprSnapshotFacts.of(record);
    KeyCounts total = facts.counts();
    metrics().gauge("dapr_snapshot_keys", "Keys in the last snapshot.", total.total());
    String schedulerLine = "";
    if (facts.scheduler().taken()) {
      SchedulerCounts sc = facts.scheduler().counts();
      metrics()
          .gauge(
              "dapr_snapshot_scheduler_entries",
              "Reminders and jobs in the last snapshot.",
              sc.reminders() + sc.jobs());
      schedulerLine = "; Scheduler: " + sc;
    }
    out()
        .printf(
            "backup %s: %d Dapr resource(s) of %s, %d state store(s) with %d key(s) (%s), %d"
                + " skipped%s%n",
            record.id(),
            found.resources().size(),
            String.join(", ", found.namespaces()),
            found.targets().size(),
            total.total(),
            total.byKind(),
            found.skipped().size(),
            schedulerLine);
  }

  /** A warning, in the log and on stderr. */
  private void warn(String line) {
    LOG.warn("{}", line);
    context().err().println("warning: " + line);
  }

  /** Resolves a Component and sorts it into the targets or the skipped. */
  private void select(
      DaprDiscovery discovery,
      GenericKubernetesResource r,
      List<Target> targets,
      List<DaprSnapshotFacts.Skipped> skipped)
      throws JobException {
    String ns = r.getMetadata().getNamespace();
    String name = r.getMetadata().getName();
    Object spec = r.getAdditionalProperties().get("spec");
    Object type = spec instanceof Map<?, ?> m ? m.get("type") : null;
    if (type == null
        || !type.toString().startsWith("state.")
        || !storeSelected(ns, name)
        || schedulerOnly()) {
      return;
    }
    // a type no class handles is skipped before its Secrets are read: the job may not read them
    String reason = StateStores.unsupportedType(type.toString()).orElse(null);
    DaprDiscovery.Resolution resolution = null;
    if (reason == null) {
      try {
        resolution = discovery.resolve(r);
      } catch (IOException e) {
        throw JobException.failed(e.getMessage() + "; nothing was written", e);
      }
      reason = resolution.unsupported();
    }
    if (reason == null) {
      try {
        StateStores.Opening opening = StateStores.open(resolution.component());
        if (opening.store().isPresent()) {
          targets.add(new Target(resolution.component(), opening.store().get()));
          return;
        }
        reason = opening.unsupported();
      } catch (IllegalArgumentException e) {
        throw JobException.badInput(e.getMessage() + "; nothing was written");
      }
    }
    skipped.add(new DaprSnapshotFacts.Skipped(ns, name, type.toString(), reason));
  }

  private BackupRecord write(
      Repository repo,
      KeyEncryptionKey kek,
      Found found,
      KeyFilter filter,
      SchedulerAccess.Target scheduler,
      String schedulerAbsent)
      throws JobException {
    List<String> namespaces = found.namespaces();
    Source source =
        new Source(
            runOptions().clusterName().orElse(null),
            namespaces.size() == 1 ? namespaces.get(0) : String.join(",", namespaces),
            null,
            null,
            Map.of());
    try (BackupRun run = beginBackup(repo, BackupKind.DAPR, source, kek, "backup", "")) {
      LOG.info(
          "backup {}: {} Dapr resource(s), {} state store(s)",
          run.id(),
          found.resources().size(),
          found.targets().size());
      SnapshotParts parts = new SnapshotParts(run, clock());
      parts.resources(found.resources());
      List<DaprSnapshotFacts.Store> stores = new ArrayList<>();
      KeyCounts total = new KeyCounts();
      for (Target t : found.targets()) {
        DaprSnapshotFacts.Store store = parts.store(t.component(), t.store(), filter);
        total.addAll(store.counts());
        stores.add(store);
      }
      DaprSnapshotFacts facts =
          new DaprSnapshotFacts(
              SnapshotFormat.VERSION,
              namespaces,
              RESOURCES_PART,
              found.perKind(),
              stores,
              found.skipped(),
              total,
              scheduler == null
                  ? DaprSnapshotFacts.Scheduler.skipped(schedulerAbsent)
                  : parts.scheduler(scheduler, namespaces, filter),
              new DaprSnapshotFacts.Filters(
                  filter.appIds().stream().sorted().toList(),
                  filter.actorTypes().stream().sorted().toList(),
                  storeOption()));
      return run.commit(facts.toFacts());
    } catch (IOException e) {
      throw JobException.failed("unable to start the Dapr backup: " + e.getMessage(), e);
    }
  }
}
