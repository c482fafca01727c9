package io.aido.backup.verify;

import io.aido.backup.dapr.DaprSnapshotFacts;
import io.aido.backup.dapr.KeyFilter;
import io.aido.backup.dapr.SchedulerAccess;
import io.aido.backup.dapr.SchedulerCounts;
import io.aido.backup.dapr.SchedulerStore;
import java.io.IOException;
import java.util.List;

/**
 * The Scheduler half of the drill's {@code dapr} step: the snapshot's actor reminders and jobs go
 * into a scratch etcd ({@value #OPTION}) through the {@code restore} command's own Scheduler path
 * ({@link io.aido.backup.dapr.DaprRestore} given a {@link SchedulerAccess.Target}), are read back
 * and counted against the record, and are deleted afterwards.
 *
 * <p>Guarantees: the scratch etcd must hold no key under {@code dapr/} (no reminder, job or
 * counter, and no running Scheduler's partition claim); one that does is refused before anything is
 * written anywhere and left as it was. Nothing but that etcd is touched. Cleanup deletes every
 * reminder, job and counter in it, which, since it was empty, are the ones the drill wrote, and
 * reports what it could not delete.
 *
 * <p>Restrictions: an {@code https://} endpoint is trusted by the JVM's CAs, without a client
 * certificate; a lease the restore granted (Dapr 1.15's entries carry none) is left to run out.
 * Without endpoints the step notes that the reminders and jobs were not drilled, naming the option.
 */
final class DaprSchedulerDrill {
  static final String OPTION = "--scratch-scheduler-endpoints";

  private final List<String> endpoints;
  private final String where;

  /** The scratch store once checked empty: what {@link #cleanup} empties. */
  private SchedulerStore store;

  /**
   * @param endpoints the scratch etcd's client URLs; empty when none was given
   */
  DaprSchedulerDrill(List<String> endpoints) {
    this.endpoints = List.copyOf(endpoints);
    this.where = "scratch etcd " + String.join(",", endpoints);
  }

  /**
   * The scratch Scheduler, checked empty; null, with a note in {@code log}, without endpoints.
   *
   * @throws IOException if the scratch etcd cannot be reached or holds keys under {@code dapr/} (it
   *     is then left untouched)
   */
  SchedulerAccess.Target open(DrillStep.Log log) throws IOException {
    if (endpoints.isEmpty()) {
      log.check(
          "the Dapr Scheduler's reminders and jobs were not drilled: give "
              + OPTION
              + " (an empty scratch etcd) to restore them");
      return null;
    }
    boolean tls = endpoints.stream().anyMatch(e -> e.startsWith("https://"));
    SchedulerStore scratch =
        SchedulerStore.connect(
            endpoints, where, tls ? new SchedulerStore.Tls(null, null, null) : null);
    long keys;
    try {
      keys = scratch.daprKeys();
    } catch (IOException e) {
      scratch.close();
      throw e;
    }
    if (keys > 0) {
      scratch.close();
      throw new IOException(
          where
              + " holds "
              + keys
              + " key(s) under dapr/; give an empty one (nothing was written)");
    }
    store = scratch;
    return SchedulerAccess.Target.of(scratch, where);
  }

  /**
   * Records whether the restore's own count ({@code differs}) and the entries read back from the
   * scratch etcd match {@code recorded}.
   *
   * @return whether both match
   */
  boolean compare(DaprSnapshotFacts.Scheduler recorded, boolean differs, DrillStep.Log log) {
    SchedulerCounts want = recorded.counts();
    String asRecorded = want.reminders() + " reminder(s) and " + want.jobs() + " job(s)";
    if (differs) {
      log.problem(
          "the Dapr Scheduler: the count of reminders and jobs restored differs from the record ("
              + asRecorded
              + ")");
    }
    long back;
    try {
      back = store.liveEntries(List.of(), KeyFilter.ALL);
    } catch (IOException e) {
      log.error("unable to read back the Dapr Scheduler's entries: " + e.getMessage());
      return false;
    }
    long expected = want.entries();
    if (back == expected && !differs) {
      log.check(
          "the Dapr Scheduler: "
              + asRecorded
              + ", as recorded; "
              + back
              + " key(s) with their counters read back from "
              + where);
      return true;
    }
    if (back < expected && expected - back <= recorded.leased() && !differs) {
      log.check(
          "the Dapr Scheduler: "
              + back
              + " of "
              + expected
              + " recorded key(s) read back from "
              + where
              + "; the others had a lease that ran out since the snapshot");
      return true;
    }
    if (back != expected) {
      log.problem(
          "the Dapr Scheduler: "
              + where
              + " holds "
              + back
              + " reminder, job and counter key(s) after the restore; the record says "
              + expected);
    }
    return false;
  }

  /** Deletes every entry the drill wrote; what it could not delete goes to {@code log}. */
  void cleanup(DrillStep.Log log) {
    if (store == null) {
      return;
    }
    try {
      store.delete(List.of(), KeyFilter.ALL);
      long left = store.liveEntries(List.of(), KeyFilter.ALL);
      if (left > 0) {
        log.leftover(left + " reminder, job or counter key(s) in " + where);
      }
    } catch (IOException e) {
      log.leftover("the reminders and jobs in " + where + ": " + e.getMessage());
    } finally {
      store.close();
      store = null;
    }
  }
}
