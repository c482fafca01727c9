package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.storage.AbandonedUploads;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectLocks;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Applies a {@link RetentionPolicy} to a repository: decides per group with {@link
 * Retention#decide}, removes what the plans remove, and clears leftovers.
 *
 * <h2>Order of deletion</h2>
 *
 * A backup is removed <em>record first</em>: its catalog record, which is what makes it visible,
 * then its data parts and leases. Only its verification results go before the record: they are not
 * data, and data with results but no record is what a deleted record leaves behind, which {@code
 * verify --all} reports; a removal interrupted after the record must not look like that. This is
 * the mirror of a backup's creation (data first, record last), and it is what makes a crash at any
 * point safe: the backup is either whole and listed, or unlisted with invisible leftovers, never a
 * listed record whose data is gone. The next run removes those leftovers (their objects are older
 * than the grace period).
 *
 * <h2>Leftovers</h2>
 *
 * Objects under {@code data/<kind>/<id>/}, {@code verify/<kind>/<id>/} or {@code
 * lease/<kind>/<id>/} whose record does not exist, and whose newest object is older than the grace
 * period, are removed, and so are the store's own remains of uploads that never finished ({@link
 * AbandonedUploads#removeAbandonedUploads}). The grace period protects a backup that is still being
 * written. Names that are not a known kind and a well-formed id are never touched. Write probes
 * ({@link Layout#PROBE}) older than the grace period are removed too: a writer whose credential may
 * create objects but not delete them (the backup accounts of the gke overlay) leaves one behind per
 * backup. A probe that cannot be deleted stays for the next run and fails nothing: it is a few
 * bytes that belong to no backup.
 *
 * <h2>Failures</h2>
 *
 * A store that can tell which objects it would refuse to delete ({@link ObjectLocks}: a GCS
 * bucket's retention policy, object holds) is asked before a backup's record is deleted: when any
 * object of the backup is locked, nothing of it is deleted, it stays whole and listed, and the
 * removal is reported as {@link Removal.Outcome#KEPT_LOCKED} (not a failure); a later run removes
 * it once the store allows. A deletion the store refuses ({@link DeletionRefusedException}) is
 * reported and skipped, and the run goes on; if it was the record, the backup stays whole and
 * listed. Any other store failure stops the removal of that backup, is reported as {@link
 * Removal.Outcome#FAILED}, and the run goes on; what is left is invisible and the next run finishes
 * it. A dry run reads exactly as a real run and deletes nothing.
 *
 * <pre>{@code
 * RetentionReport report =
 *     new RetentionRun(store, RetentionPolicy.DEFAULT, Duration.ofHours(24), false)
 *         .apply(catalog.list(null), clock.instant());
 * }</pre>
 */
public final class RetentionRun {
  /** The default grace period for leftovers. */
  public static final Duration DEFAULT_GRACE = Duration.ofHours(24);

  private static final List<String> LEFTOVER_AREAS =
      List.of(Layout.DATA, Layout.VERIFY, Layout.LEASE);

  private final BlobStore store;
  private final RetentionPolicy policy;
  private final Duration grace;
  private final boolean dryRun;

  /**
   * @param store the repository
   * @param policy applied to every group
   * @param grace how old leftovers must be before they are removed
   * @param dryRun decide and report, delete nothing
   * @throws IllegalArgumentException if {@code grace} is negative
   */
  public RetentionRun(BlobStore store, RetentionPolicy policy, Duration grace, boolean dryRun) {
    this.store = Objects.requireNonNull(store, "store");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.grace = Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace period must not be negative, got " + grace);
    }
    this.dryRun = dryRun;
  }

  /**
   * Decides and removes.
   *
   * @param records every complete backup of the repository (the catalog's listing)
   * @param now the time the policy, the leases and the grace period are evaluated at
   * @throws IOException if reading the verification results, the leases or a listing fails (nothing
   *     has been deleted from the group being read)
   */
  public RetentionReport apply(List<BackupRecord> records, Instant now) throws IOException {
    return apply(records, now, removal -> {});
  }

  /**
   * Decides and removes, telling {@code listener} about every removal that deleted something.
   *
   * @throws IOException as {@link #apply(List, Instant)}, or when {@code listener} throws (then no
   *     further backup is removed)
   */
  public RetentionReport apply(List<BackupRecord> records, Instant now, RemovalListener listener)
      throws IOException {
    Map<GroupKey, List<BackupRecord>> groups = new TreeMap<>();
    for (BackupRecord r : records) {
      groups.computeIfAbsent(GroupKey.of(r), k -> new ArrayList<>()).add(r);
    }
    Map<GroupKey, Plan> plans = new TreeMap<>();
    List<BackupRecord> toRemove = new ArrayList<>();
    Map<BackupKind, Set<BackupId>> verified = new EnumMap<>(BackupKind.class);
    Map<BackupKind, Map<BackupId, List<Lease>>> leased = new EnumMap<>(BackupKind.class);
    for (Map.Entry<GroupKey, List<BackupRecord>> group : groups.entrySet()) {
      BackupKind kind = group.getKey().kind();
      if (!verified.containsKey(kind)) {
        verified.put(kind, VerificationRecords.verifiedBackups(store, kind));
        leased.put(kind, Leases.liveByBackup(store, kind, now));
      }
      List<Candidate> candidates = new ArrayList<>();
      Map<BackupId, BackupRecord> byId = new TreeMap<>();
      for (BackupRecord r : group.getValue()) {
        candidates.add(
            Candidate.of(
                r, verified.get(kind).contains(r.id()), leased.get(kind).containsKey(r.id())));
        byId.put(r.id(), r);
      }
      Plan plan = namingHolders(Retention.decide(candidates, policy, now), leased.get(kind));
      plans.put(group.getKey(), plan);
      for (Decision d : plan.removed()) {
        toRemove.add(byId.get(d.backup().id()));
      }
    }

    toRemove.sort(Comparator.comparing(BackupRecord::startedAt).thenComparing(BackupRecord::id));
    List<Removal> removals = new ArrayList<>();
    Set<String> handled = new HashSet<>();
    for (BackupRecord r : toRemove) {
      Removal removal = removeBackup(r.kind(), r.id(), now);
      removals.add(removal);
      handled.add(r.kind().id() + "/" + r.id());
      notify(listener, removal);
    }
    List<Removal> leftovers = sweepLeftovers(now, handled, listener);
    if (!dryRun) {
      if (store instanceof AbandonedUploads uploads) {
        uploads.removeAbandonedUploads(now.minus(grace));
      }
      removeOldProbes(now.minus(grace));
    }
    return new RetentionReport(dryRun, plans, removals, leftovers);
  }

  /**
   * {@code plan} with each "in use" reason saying who holds the lease: "in use: a restore by …".
   */
  private static Plan namingHolders(Plan plan, Map<BackupId, List<Lease>> leases) {
    List<Decision> decisions = new ArrayList<>();
    for (Decision d : plan.decisions()) {
      List<Lease> held = leases.getOrDefault(d.backup().id(), List.of());
      List<Reason> reasons = new ArrayList<>();
      for (Reason r : d.reasons()) {
        reasons.add(
            r.rule() == Reason.Rule.IN_USE && !held.isEmpty()
                ? new Reason(r.rule(), r.text() + ": " + Leases.describe(held.get(0)))
                : r);
      }
      decisions.add(new Decision(d.backup(), reasons));
    }
    return new Plan(plan.policy(), plan.now(), decisions, plan.refusal());
  }

  private Removal removeBackup(BackupKind kind, BackupId id, Instant now) throws IOException {
    List<Lease> leases = Leases.live(store, kind, id, now);
    if (!leases.isEmpty()) {
      return new Removal(
          kind,
          id,
          false,
          Removal.Outcome.KEPT_IN_USE,
          0,
          0,
          Leases.describe(leases.get(0)) + " is reading it");
    }
    // verification results first: data without a record but with results is what a deleted
    // record leaves, and verify --all reports it; an interrupted removal must not look like one
    List<ObjectInfo> objects = new ArrayList<>(store.list(Layout.verifyPrefix(kind, id)));
    store.stat(Layout.record(kind, id)).ifPresent(objects::add);
    objects.addAll(store.list(Layout.dataPrefix(kind, id)));
    objects.addAll(store.list(Layout.leasePrefix(kind, id)));
    if (store instanceof ObjectLocks locks) {
      for (ObjectInfo o : objects) {
        Optional<String> lock = locks.lock(o.key(), now);
        if (lock.isPresent()) {
          return new Removal(
              kind,
              id,
              false,
              Removal.Outcome.KEPT_LOCKED,
              0,
              0,
              "object '"
                  + o.key()
                  + "' is kept by "
                  + lock.get()
                  + " in "
                  + store.describe()
                  + "; nothing deleted, the backup stays whole and listed until the store allows"
                  + " it");
        }
      }
    }
    return remove(kind, id, false, objects);
  }

  /**
   * Deletes {@code objects} in order: a backup's verification results, its record, then the rest.
   */
  private Removal remove(BackupKind kind, BackupId id, boolean leftover, List<ObjectInfo> objects) {
    if (dryRun) {
      return new Removal(
          kind, id, leftover, Removal.Outcome.WOULD_REMOVE, objects.size(), sum(objects), "");
    }
    int deleted = 0;
    long bytes = 0;
    boolean recordGone = false;
    List<String> refused = new ArrayList<>();
    for (ObjectInfo o : objects) {
      boolean record = o.key().startsWith(Layout.CATALOG);
      try {
        store.delete(o.key());
        deleted++;
        bytes += o.size();
        if (record) {
          recordGone = true;
          KillPoints.reach("retention-after-record");
        }
      } catch (DeletionRefusedException e) {
        if (record) {
          return new Removal(
              kind,
              id,
              leftover,
              Removal.Outcome.REFUSED,
              deleted,
              bytes,
              e.getMessage() + "; the backup is kept whole");
        }
        refused.add(e.getMessage());
      } catch (IOException e) {
        return new Removal(
            kind,
            id,
            leftover,
            Removal.Outcome.FAILED,
            deleted,
            bytes,
            StorageMessages.failed("delete", o.key(), store.describe(), StorageMessages.cause(e))
                + "; "
                + (!recordGone && !leftover
                    ? "the backup is kept whole"
                    : "the rest is invisible and the next run removes it"));
      }
    }
    if (!refused.isEmpty()) {
      return new Removal(
          kind,
          id,
          leftover,
          Removal.Outcome.REFUSED,
          deleted,
          bytes,
          refused.size()
              + " objects kept by the store, now invisible leftovers: "
              + refused.get(0));
    }
    return new Removal(kind, id, leftover, Removal.Outcome.REMOVED, deleted, bytes, "");
  }

  private void notify(RemovalListener listener, Removal removal) throws IOException {
    if (!dryRun && removal.objects() > 0) {
      listener.removed(removal);
    }
  }

  private List<Removal> sweepLeftovers(Instant now, Set<String> handled, RemovalListener listener)
      throws IOException {
    Map<String, List<ObjectInfo>> byBackup = new TreeMap<>();
    for (String area : LEFTOVER_AREAS) {
      for (ObjectInfo o : store.list(area)) {
        String[] segments = o.key().name().split("/", 4);
        if (segments.length == 4) {
          byBackup.computeIfAbsent(segments[1] + "/" + segments[2], k -> new ArrayList<>()).add(o);
        }
      }
    }
    Instant cutoff = now.minus(grace);
    List<Removal> removals = new ArrayList<>();
    for (Map.Entry<String, List<ObjectInfo>> e : byBackup.entrySet()) {
      String[] kindAndId = e.getKey().split("/");
      BackupKind kind = knownKind(kindAndId[0]);
      if (kind == null || !BackupId.isValid(kindAndId[1]) || handled.contains(e.getKey())) {
        continue;
      }
      BackupId id = new BackupId(kindAndId[1]);
      boolean old = e.getValue().stream().allMatch(o -> o.created().isBefore(cutoff));
      if (!old || store.stat(Layout.record(kind, id)).isPresent()) {
        continue;
      }
      Removal removal = remove(kind, id, true, e.getValue());
      removals.add(removal);
      notify(listener, removal);
    }
    return removals;
  }

  private void removeOldProbes(Instant cutoff) throws IOException {
    for (ObjectInfo o : store.list(Layout.PROBE)) {
      if (o.created().isBefore(cutoff)) {
        try {
          store.delete(o.key());
        } catch (IOException e) {
          // refused (a retention lock) or failed: it stays until a later run can remove it
        }
      }
    }
  }

  private static BackupKind knownKind(String id) {
    for (BackupKind k : BackupKind.values()) {
      if (k.id().equals(id)) {
        return k;
      }
    }
    return null;
  }

  private static long sum(List<ObjectInfo> objects) {
    return objects.stream().mapToLong(ObjectInfo::size).sum();
  }
}
