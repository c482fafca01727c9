package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
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
 * record, exit 1. An unsupported store is skipped with a warning and exit 0.
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

  @Override
  protected int run() throws Exception {
    KeyFilter filter = keyFilter();
    List<GenericKubernetesResource> resources = new ArrayList<>();
    Map<String, Long> perKind = new TreeMap<>();
    List<Target> targets = new ArrayList<>();
    List<Map<String, Object>> skipped = new ArrayList<>();
    List<String> namespaces;
    try (KubernetesClient client = kubernetes()) {
      namespaces = namespaces(client);
      DaprDiscovery discovery = new DaprDiscovery(client);
      Map<String, ResourceDefinitionContext> kinds;
      try {
        kinds = discovery.servedKinds();
      } catch (IOException e) {
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
    }
    for (Map<String, Object> s : skipped) {
      String line =
          "state store "
              + s.get("namespace")
              + "/"
              + s.get("name")
              + " ("
              + s.get("type")
              + ") skipped: "
              + s.get("reason");
      LOG.warn("{}", line);
      context().err().println("warning: " + line);
    }
    if (requireAll && !skipped.isEmpty()) {
      throw JobException.failed(
          skipped.size()
              + " state store(s) cannot be snapshotted and --require-all is set; nothing was"
              + " written",
          null);
    }

    KeyEncryptionKey kek = repository.kek();
    Repository repo =
        openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
    BackupRecord record;
    SchedulerAccess.Found scheduler = scheduler(false, "nothing was written");
    if (scheduler.target().isEmpty() && !scheduler.absent().equals("--scheduler off")) {
      String line =
          "no Dapr Scheduler found ("
              + scheduler.absent()
              + "): actor reminders and jobs are not in this backup";
      LOG.warn("{}", line);
      context().err().println("warning: " + line);
    }
    try (SchedulerAccess.Target target = scheduler.target().orElse(null)) {
      record =
          write(
              repo,
              kek,
              namespaces,
              filter,
              resources,
              perKind,
              targets,
              skipped,
              target,
              scheduler.absent());
    }
    metrics().backupCompleted(BackupKind.DAPR, record.storedSize(), record.plaintextSize());
    metrics()
        .gauge(
            "dapr_snapshot_skipped_stores",
            "State stores the last snapshot skipped as unsupported.",
            skipped.size());
    KeyCounts total = KeyCounts.fromFacts(record.facts().get("counts"));
    metrics().gauge("dapr_snapshot_keys", "Keys in the last snapshot.", total.total());
    String schedulerLine = "";
    if (record.facts().get("scheduler") instanceof Map<?, ?> sf && sf.containsKey("counts")) {
      SchedulerCounts sc = SchedulerCounts.fromFacts(sf.get("counts"));
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
            resources.size(),
            String.join(", ", namespaces),
            targets.size(),
            total.total(),
            total.byKind(),
            skipped.size(),
            schedulerLine);
    return ExitCodes.DONE;
  }

  /** Resolves a Component and sorts it into the targets or the skipped. */
  private void select(
      DaprDiscovery discovery,
      GenericKubernetesResource r,
      List<Target> targets,
      List<Map<String, Object>> skipped)
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
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("namespace", ns);
    s.put("name", name);
    s.put("type", type.toString());
    s.put("reason", reason);
    skipped.add(s);
  }

  private BackupRecord write(
      Repository repo,
      KeyEncryptionKey kek,
      List<String> namespaces,
      KeyFilter filter,
      List<GenericKubernetesResource> resources,
      Map<String, Long> perKind,
      List<Target> targets,
      List<Map<String, Object>> skipped,
      SchedulerAccess.Target scheduler,
      String schedulerAbsent)
      throws JobException {
    Source source =
        new Source(
            runOptions().clusterName().orElse(null),
            namespaces.size() == 1 ? namespaces.get(0) : String.join(",", namespaces),
            null,
            null,
            Map.of());
    try (BackupWriter writer = repo.begin(BackupKind.DAPR, source, kek);
        MDC.MDCCloseable ignored = MDC.putCloseable("backup_id", writer.id().value())) {
      String id = writer.id().value();
      LOG.info(
          "backup {}: {} Dapr resource(s), {} state store(s)",
          id,
          resources.size(),
          targets.size());
      try (PartOutputStream part = writer.openPart(RESOURCES_PART)) {
        for (GenericKubernetesResource r : resources) {
          String doc = Serialization.asYaml(r);
          part.write(
              ((doc.startsWith("---") ? "" : "---\n") + doc + (doc.endsWith("\n") ? "" : "\n"))
                  .getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        throw failed(id, RESOURCES_PART, e);
      }
      List<Map<String, Object>> stores = new ArrayList<>();
      KeyCounts total = new KeyCounts();
      for (Target t : targets) {
        DaprComponent c = t.component();
        String partName = partName(c.namespace(), c.name());
        StateStore.SnapshotStats stats;
        Map<String, Object> header = new LinkedHashMap<>(t.store().describe());
        header.put("namespace", c.namespace());
        header.put("store", c.name());
        header.put("version", c.version());
        header.put("takenAt", clock().instant().toString());
        try (StateStore store = t.store();
            PartOutputStream part = writer.openPart(partName)) {
          try {
            SnapshotFormat.Writer out = new SnapshotFormat.Writer(part, header);
            stats = store.snapshot(filter, out);
            out.finish();
          } catch (IOException | RuntimeException e) {
            // a part cut short must not be stored as if whole, even in a backup never committed
            part.abort(e);
            throw e;
          }
        } catch (IOException e) {
          throw failed(id, partName, e);
        }
        total.addAll(stats.counts());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("namespace", c.namespace());
        s.put("name", c.name());
        s.put("type", c.type());
        s.put("version", c.version() == null ? "" : c.version());
        s.putAll(t.store().describe());
        s.put("part", partName);
        s.put("counts", stats.counts().facts());
        s.put("expiredLeftOut", stats.expiredLeftOut());
        if (t.store() instanceof RedisStateStore redis) {
          s.put("notHashesLeftOut", redis.notHashesLeftOut());
        }
        stores.add(s);
        LOG.info(
            "state store {}/{}: {} key(s) {}",
            c.namespace(),
            c.name(),
            stats.counts().total(),
            stats.counts().byKind());
      }
      Map<String, Object> schedulerFacts = new LinkedHashMap<>();
      if (scheduler == null) {
        schedulerFacts.put("skipped", schedulerAbsent);
      } else {
        schedulerFacts.putAll(snapshotScheduler(writer, id, scheduler, namespaces, filter));
      }
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("snapshotFormat", SnapshotFormat.VERSION);
      facts.put("namespaces", namespaces);
      facts.put("resourcesPart", RESOURCES_PART);
      facts.put("resources", perKind);
      facts.put("stores", stores);
      facts.put("skipped", skipped);
      facts.put("counts", total.facts());
      facts.put("scheduler", schedulerFacts);
      Map<String, Object> filters = new LinkedHashMap<>();
      filters.put("appIds", filter.appIds().stream().sorted().toList());
      filters.put("actorTypes", filter.actorTypes().stream().sorted().toList());
      filters.put("stores", storeOption());
      facts.put("filters", filters);
      try {
        return writer.commit(facts);
      } catch (IOException e) {
        throw failed(id, "record", e);
      }
    } catch (IOException | GeneralSecurityException e) {
      throw JobException.failed("unable to start the Dapr backup: " + e.getMessage(), e);
    }
  }

  /**
   * Writes part {@value #SCHEDULER_PART}: the Scheduler's reminders and jobs of {@code namespaces}
   * at one etcd revision; returns the record facts.
   */
  private Map<String, Object> snapshotScheduler(
      BackupWriter writer,
      String id,
      SchedulerAccess.Target scheduler,
      List<String> namespaces,
      KeyFilter filter)
      throws JobException {
    SchedulerStore.SnapshotStats stats;
    Map<String, Object> header = new LinkedHashMap<>(scheduler.store().describe());
    header.put("namespaces", namespaces);
    header.put("takenAt", clock().instant().toString());
    try (PartOutputStream part = writer.openPart(SCHEDULER_PART)) {
      try {
        SnapshotFormat.Writer out = new SnapshotFormat.Writer(part, header);
        stats = scheduler.store().snapshot(namespaces, filter, out, clock().instant());
        out.finish();
      } catch (IOException | RuntimeException e) {
        part.abort(e);
        throw e;
      }
    } catch (IOException e) {
      throw failed(id, SCHEDULER_PART, e);
    }
    LOG.info(
        "Dapr Scheduler at {}: {} at revision {}",
        scheduler.where(),
        stats.counts(),
        stats.revision());
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("part", SCHEDULER_PART);
    f.put("from", scheduler.where());
    f.put("revision", stats.revision());
    f.put("namespaces", namespaces);
    f.put("counts", stats.counts().facts());
    f.put("leased", stats.leased());
    f.put("expiredLeftOut", stats.expired());
    return f;
  }

  private static JobException failed(String id, String part, IOException e) {
    return JobException.failed(
        "backup "
            + id
            + " part "
            + part
            + ": "
            + e.getMessage()
            + "; no record was written, earlier backups are untouched",
        e);
  }
}
