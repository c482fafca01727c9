package io.aido.backup.dapr;

import io.aido.backup.core.cli.BackupRun;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the parts of one {@code dapr} backup: {@value DaprCommand#RESOURCES_PART}, one {@link
 * SnapshotFormat} part per state store ({@link DaprCommand#partName}) and {@value
 * DaprCommand#SCHEDULER_PART}; each returns the facts the record keeps of it.
 *
 * <p>A part cut short is aborted, so it is never stored as if whole, even in a backup that is never
 * committed; every failure is a {@link JobException} naming the backup and the part and saying that
 * no record was written ({@link BackupRun#partFailed}).
 */
final class SnapshotParts {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotParts.class);

  private final BackupRun backup;
  private final Clock clock;

  SnapshotParts(BackupRun backup, Clock clock) {
    this.backup = backup;
    this.clock = clock;
  }

  /** Writes the cleaned resources as multi-document YAML that {@code kubectl apply -f} takes. */
  void resources(List<GenericKubernetesResource> resources) throws JobException {
    try (PartOutputStream part = backup.openPart(DaprCommand.RESOURCES_PART)) {
      for (GenericKubernetesResource r : resources) {
        String doc = Serialization.asYaml(r);
        part.write(
            ((doc.startsWith("---") ? "" : "---\n") + doc + (doc.endsWith("\n") ? "" : "\n"))
                .getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw backup.partFailed(DaprCommand.RESOURCES_PART, e);
    }
  }

  /** Snapshots one state store into its part; closes the store. */
  DaprSnapshotFacts.Store store(DaprComponent c, StateStore store, KeyFilter filter)
      throws JobException {
    String partName = DaprCommand.partName(c.namespace(), c.name());
    Map<String, Object> described = store.describe();
    Map<String, Object> header = new LinkedHashMap<>(described);
    header.put("namespace", c.namespace());
    header.put("store", c.name());
    header.put("version", c.version());
    header.put("takenAt", clock.instant().toString());
    StateStore.SnapshotStats stats;
    try (StateStore s = store;
        PartOutputStream part = backup.openPart(partName)) {
      try {
        SnapshotFormat.Writer out = new SnapshotFormat.Writer(part, header);
        stats = s.snapshot(filter, out);
        out.finish();
      } catch (IOException | RuntimeException e) {
        part.abort(e);
        throw e;
      }
    } catch (IOException e) {
      throw backup.partFailed(partName, e);
    }
    LOG.info(
        "state store {}/{}: {} key(s) {}",
        c.namespace(),
        c.name(),
        stats.counts().total(),
        stats.counts().byKind());
    return new DaprSnapshotFacts.Store(
        c.namespace(),
        c.name(),
        String.valueOf(described.getOrDefault("type", c.type())),
        c.version() == null ? "" : c.version(),
        String.valueOf(described.get("layout")),
        described.get("table") == null ? null : String.valueOf(described.get("table")),
        partName,
        stats.counts(),
        stats.expiredLeftOut(),
        store instanceof RedisStateStore redis ? redis.notHashesLeftOut() : null);
  }

  /**
   * Writes part {@value DaprCommand#SCHEDULER_PART}: the Scheduler's reminders and jobs of {@code
   * namespaces} at one etcd revision.
   */
  DaprSnapshotFacts.Scheduler scheduler(
      SchedulerAccess.Target scheduler, List<String> namespaces, KeyFilter filter)
      throws JobException {
    SchedulerStore.SnapshotStats stats;
    Map<String, Object> header = new LinkedHashMap<>(scheduler.store().describe());
    header.put("namespaces", namespaces);
    header.put("takenAt", clock.instant().toString());
    try (PartOutputStream part = backup.openPart(DaprCommand.SCHEDULER_PART)) {
      try {
        SnapshotFormat.Writer out = new SnapshotFormat.Writer(part, header);
        stats = scheduler.store().snapshot(namespaces, filter, out, clock.instant());
        out.finish();
      } catch (IOException | RuntimeException e) {
        part.abort(e);
        throw e;
      }
    } catch (IOException e) {
      throw backup.partFailed(DaprCommand.SCHEDULER_PART, e);
    }
    LOG.info(
        "Dapr Scheduler at {}: {} at revision {}",
        scheduler.where(),
        stats.counts(),
        stats.revision());
    return new DaprSnapshotFacts.Scheduler(
        null,
        DaprCommand.SCHEDULER_PART,
        scheduler.where(),
        stats.revision(),
        namespaces,
        stats.counts(),
        stats.leased(),
        stats.expired());
  }
}
