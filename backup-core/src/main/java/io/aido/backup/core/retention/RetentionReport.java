package io.aido.backup.core.retention;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one retention run decided and did.
 *
 * <p>Exit status: {@link #failed()} when a plan was refused (the policy would have removed every
 * backup of a group) or the store failed; a deletion the store refused (a bucket retention policy
 * or an object hold) is reported but is not a failure, because the store's own rule wins and
 * running again would change nothing.
 *
 * @param dryRun whether nothing was deleted
 * @param plans the plan of each group, by group
 * @param removals each backup set out to be removed, oldest first
 * @param leftovers each set of objects without a record that was old enough to remove
 */
public record RetentionReport(
    boolean dryRun, Map<GroupKey, Plan> plans, List<Removal> removals, List<Removal> leftovers) {

  public RetentionReport {
    Objects.requireNonNull(plans, "plans");
    plans = Map.copyOf(plans);
    removals = List.copyOf(removals);
    leftovers = List.copyOf(leftovers);
  }

  /**
   * Backups kept over all groups: by the plans, because a lease appeared before deletion, or
   * because the store keeps an object of theirs.
   */
  public int kept() {
    return plans.values().stream().mapToInt(p -> p.kept().size()).sum()
        + (int)
            removals.stream()
                .filter(
                    r ->
                        r.outcome() == Removal.Outcome.KEPT_IN_USE
                            || r.outcome() == Removal.Outcome.KEPT_LOCKED)
                .count();
  }

  /** Backups removed (in a dry run: that would be). */
  public int removed() {
    return (int) removals.stream().filter(RetentionReport::done).count();
  }

  /** Bytes freed (in a dry run: that would be), backups and leftovers together. */
  public long bytesFreed() {
    return removals.stream().mapToLong(Removal::bytes).sum()
        + leftovers.stream().mapToLong(Removal::bytes).sum();
  }

  /** Groups whose plan was refused. */
  public List<GroupKey> refusedGroups() {
    return plans.entrySet().stream()
        .filter(e -> e.getValue().refused())
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  /** Whether the run must end with a failure: a refused plan or a store failure. */
  public boolean failed() {
    return !refusedGroups().isEmpty()
        || removals.stream().anyMatch(r -> r.outcome() == Removal.Outcome.FAILED)
        || leftovers.stream().anyMatch(r -> r.outcome() == Removal.Outcome.FAILED);
  }

  /** The one-line summary: {@code kept 40, removed 3 (1048576 bytes), leftovers 1}. */
  public String summary() {
    return (dryRun ? "dry run: " : "")
        + "kept "
        + kept()
        + ", "
        + (dryRun ? "would remove " : "removed ")
        + removed()
        + " backups and "
        + leftovers.stream().filter(RetentionReport::done).count()
        + " leftovers ("
        + bytesFreed()
        + " bytes)"
        + count(Removal.Outcome.KEPT_LOCKED, " kept by the store's retention policy or holds")
        + count(Removal.Outcome.REFUSED, " refused by the store")
        + count(Removal.Outcome.FAILED, " failed")
        + (refusedGroups().isEmpty() ? "" : "; refused to empty " + refusedGroups())
        + (failed() ? "; FAILED" : "");
  }

  private String count(Removal.Outcome outcome, String label) {
    long n =
        removals.stream().filter(r -> r.outcome() == outcome).count()
            + leftovers.stream().filter(r -> r.outcome() == outcome).count();
    return n == 0 ? "" : "; " + n + label;
  }

  private static boolean done(Removal r) {
    return r.outcome() == Removal.Outcome.REMOVED || r.outcome() == Removal.Outcome.WOULD_REMOVE;
  }
}
