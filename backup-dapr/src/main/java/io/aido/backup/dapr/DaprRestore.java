package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.repository.BackupReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The steps of a Dapr restore, once its {@link DaprRestorePlan} and targets are known: refuse
 * targets that hold live keys in scope (unless {@code --clean}), authenticate every part to be read
 * in full, then write store by store and the Scheduler, printing recorded and restored counts.
 *
 * <p>Nothing is written before every check has passed; the audit event is written by the caller
 * between {@link #check} and {@link #restore}.
 */
public final class DaprRestore {
  /**
   * One recorded store and where it goes.
   *
   * @param part the store's part in the backup
   * @param store the live store the same-named Component points at now
   */
  public record Target(DaprSnapshotFacts.Store recorded, PartRecord part, StateStore store) {
    public String id() {
      return recorded.id();
    }
  }

  /** How {@link #write} names the Scheduler among the stores whose count differs. */
  public static final String SCHEDULER = "the Dapr Scheduler";

  private final BackupRecord record;
  private final BackupReader reader;
  private final DaprRestorePlan plan;
  private final boolean clean;
  private final PrintStream out;
  private final Clock clock;

  public DaprRestore(
      BackupRecord record,
      BackupReader reader,
      DaprRestorePlan plan,
      boolean clean,
      PrintStream out,
      Clock clock) {
    this.record = record;
    this.reader = reader;
    this.plan = plan;
    this.clean = clean;
    this.out = out;
    this.clock = clock;
  }

  /**
   * Refuses live data in scope without {@code --clean} (exit 2) and authenticates every part to be
   * read: stores are written one after the other and Redis key by key, so a backup tampered at its
   * end is refused before the first write.
   */
  public void check(List<Target> targets, SchedulerAccess.Target scheduler)
      throws JobException, IOException {
    for (Target t : targets) {
      long live = t.store().liveKeys(plan.filter());
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
        live = scheduler.store().liveEntries(plan.schedulerNamespaces(), plan.filter());
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
    for (Target t : targets) {
      reader.checkPart(t.part());
    }
    if (scheduler != null) {
      Optional<PartRecord> part = record.part(plan.scheduler().orElseThrow().part());
      if (part.isPresent()) {
        reader.checkPart(part.get());
      }
    }
  }

  /**
   * Writes every target and the Scheduler.
   *
   * @throws JobException exit 1 when a count differs from the record or a write fails, exit 2 when
   *     a target was written to since the check
   */
  public void restore(List<Target> targets, SchedulerAccess.Target scheduler) throws JobException {
    List<String> differing = write(targets, scheduler);
    if (!differing.isEmpty()) {
      throw JobException.failed(
          "restored backup "
              + record.id()
              + ", but the key count of "
              + String.join(", ", differing)
              + " differs from the record",
          null);
    }
    out.printf(
        "restored backup %s into %d state store(s)%s%n",
        record.id(), targets.size(), scheduler == null ? "" : " and the Dapr Scheduler");
  }

  /**
   * Writes every target and the Scheduler, printing recorded and restored counts.
   *
   * @return the stores (and {@link #SCHEDULER}) whose count differs from the record
   * @throws JobException exit 1 when a write fails, exit 2 when a target was written to since the
   *     check
   */
  public List<String> write(List<Target> targets, SchedulerAccess.Target scheduler)
      throws JobException {
    List<String> differing = new ArrayList<>();
    for (Target t : targets) {
      if (!restoreStore(t)) {
        differing.add(t.id());
      }
    }
    if (scheduler != null && !restoreScheduler(scheduler)) {
      differing.add(SCHEDULER);
    }
    return differing;
  }

  /** Restores one store; whether its count matches the record. */
  private boolean restoreStore(Target t) throws JobException {
    StateStore.RestoreStats stats;
    try (StateStore store = t.store();
        InputStream in = reader.openPart(t.part());
        SnapshotFormat.Reader snapshot = new SnapshotFormat.Reader(in, t.part().name())) {
      stats = store.restore(snapshot, plan.filter(), clean);
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
    Optional<Long> expected = plan.expected(t.recorded());
    long restored = stats.counts().total();
    boolean matches = expected.map(x -> x == restored + stats.expiredSinceSnapshot()).orElse(true);
    out.printf(
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
    return matches;
  }

  /** Restores the Scheduler part; whether its counts match the record. */
  private boolean restoreScheduler(SchedulerAccess.Target scheduler) throws JobException {
    String partName = plan.scheduler().orElseThrow().part();
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
      stats =
          scheduler
              .store()
              .restore(snapshot, plan.schedulerNamespaces(), plan.filter(), clean, clock.instant());
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
    Optional<Long> expected = plan.expectedScheduler();
    long restored = stats.counts().reminders() + stats.counts().jobs();
    boolean matches = expected.map(x -> x == restored + stats.expiredSinceSnapshot()).orElse(true);
    out.printf(
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
}
