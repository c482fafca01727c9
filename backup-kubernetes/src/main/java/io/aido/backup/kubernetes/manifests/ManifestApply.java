package io.aido.backup.kubernetes.manifests;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.kubernetes.ObjectYaml;
import io.aido.backup.kubernetes.ResourceType;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of a manifests restore: streams the backup's archive once, asks the {@link
 * ManifestRestorePlan} what to do with each object and does it with the {@link Applier} (waiting
 * for the restored CRDs where the plan says), printing one line per created, changed, skipped or
 * failed object and the summary.
 *
 * <p>Throws {@link JobException} (exit 1) when the archive fails on its second read, when it holds
 * another number of objects than its index says, and when any object failed; what was applied stays
 * applied, nothing is deleted.
 */
public final class ManifestApply {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestApply.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Applier applier;
  private final ManifestRestorePlan plan;
  private final boolean dryRun;
  private final int crdTimeout;
  private final PrintStream out;
  private final Map<Applier.Outcome, Integer> tally = new EnumMap<>(Applier.Outcome.class);
  private final List<Created> created = new ArrayList<>();
  private int skipped;
  private int toolkit;

  public ManifestApply(
      Applier applier, ManifestRestorePlan plan, boolean dryRun, int crdTimeout, PrintStream out) {
    this.applier = applier;
    this.plan = plan;
    this.dryRun = dryRun;
    this.crdTimeout = crdTimeout;
    this.out = out;
    for (Applier.Outcome o : Applier.Outcome.values()) {
      tally.put(o, 0);
    }
  }

  /**
   * An object this run created (in a dry run: would have created).
   *
   * @param type its type
   * @param namespace its namespace, null when cluster-scoped
   * @param name its name
   */
  public record Created(ResourceType type, String namespace, String name) {}

  /**
   * The objects this run created (in a dry run: would have created), in that order: what a caller
   * removes to undo a restore into a scratch namespace. Deleting one a dry run did not create is a
   * no-op.
   */
  public List<Created> created() {
    return List.copyOf(created);
  }

  /** Restores {@code part}, the archive of {@code record}, read by {@code reader}. */
  public void run(BackupReader reader, PartRecord part, BackupRecord record)
      throws IOException, InterruptedException, JobException {
    long read = 0;
    long indexObjects = -1;
    try (InputStream in = reader.openPart(part);
        ManifestArchive.Reader archive = new ManifestArchive.Reader(in)) {
      String path;
      while ((path = archive.next()) != null) {
        if (path.equals(ManifestArchive.TYPES)) {
          plan.types(JSON.readTree(archive.content()));
        } else if (path.equals(ManifestArchive.INDEX)) {
          indexObjects = JSON.readTree(archive.content()).path("objects").asLong(-1);
        } else if (ManifestRestorePlan.isObject(path)) {
          read++;
          apply(plan.next(ObjectYaml.read(archive.content())));
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
    summary(record);
  }

  private void apply(ManifestRestorePlan.Step step) throws InterruptedException {
    if (step.awaitCrdsFirst() && !dryRun) {
      awaitCrds();
    }
    if (step.warning() != null) {
      LOG.warn(step.warning());
    }
    switch (step.action()) {
      case LEAVE -> {}
      case FAIL -> {
        tally.merge(Applier.Outcome.FAILED, 1, Integer::sum);
        print("failed", step.label(), step.reason());
      }
      case SKIP_TOOLKIT -> {
        toolkit++;
        print("skipped", step.label(), step.reason());
      }
      case SKIP -> {
        skipped++;
        LOG.warn("{} skipped: {}", step.label(), step.reason());
        print("skipped", step.label(), step.reason());
      }
      case APPLY -> {
        Applier.Applied applied = applier.apply(step.type(), step.object());
        tally.merge(applied.outcome(), 1, Integer::sum);
        switch (applied.outcome()) {
          case CREATED -> {
            created.add(
                new Created(
                    step.type(),
                    step.object().getMetadata().getNamespace(),
                    step.object().getMetadata().getName()));
            print(dryRun ? "would create" : "created", step.label(), null);
          }
          case UPDATED ->
              print(
                  dryRun ? "would change" : "changed",
                  step.label(),
                  String.join(", ", applied.changes()));
          case FAILED -> print("failed", step.label(), applied.reason());
          case UNCHANGED -> {}
        }
      }
    }
  }

  private void awaitCrds() throws InterruptedException {
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

  private void summary(BackupRecord record) throws JobException {
    int failed = tally.get(Applier.Outcome.FAILED);
    out.printf(
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
  }

  private void print(String what, String label, String detail) {
    out.println(what + " " + label + (detail == null || detail.isEmpty() ? "" : ": " + detail));
  }
}
