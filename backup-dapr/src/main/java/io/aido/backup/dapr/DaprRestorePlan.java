package io.aido.backup.dapr;

import io.aido.backup.core.cli.JobException;
import java.util.List;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * What a Dapr restore writes, decided from the backup's facts and the options alone, without a
 * cluster or a store: which recorded state stores, whether the Scheduler part and for which of its
 * namespaces, and how many keys each should hold afterwards.
 *
 * <p>{@code --scheduler only} leaves the state stores out; {@code --store} narrows them; {@code
 * --namespace} narrows the Scheduler's namespaces. A backup with nothing in scope is refused by
 * {@link #of} (exit 2). The expected counts come from the record's counts: all keys, the sum for
 * the app ids, or the sum for the actor types; unknown when both filters are given at once, or, for
 * the Scheduler, when only some namespaces are restored under a filter.
 *
 * @param stores the recorded state stores to restore, in record order
 * @param scheduler the recorded Scheduler part, when the backup holds one
 * @param schedulerNamespaces the Scheduler's namespaces to restore (empty when {@link
 *     #schedulerOutOfScope})
 * @param filter the app ids and actor types to restore
 */
public record DaprRestorePlan(
    List<DaprSnapshotFacts.Store> stores,
    Optional<DaprSnapshotFacts.Scheduler> scheduler,
    List<String> schedulerNamespaces,
    KeyFilter filter) {

  public DaprRestorePlan {
    stores = List.copyOf(stores);
    schedulerNamespaces = List.copyOf(schedulerNamespaces);
  }

  /**
   * Plans the restore of the backup {@code facts} describe.
   *
   * @param schedulerOnly {@code --scheduler only}
   * @param storeSelected {@code --store}, by namespace and name
   * @param storeOption {@code --store} as given, for the message
   * @param namespaces {@code --namespace}, empty for every recorded one
   * @throws JobException exit 2 when nothing of the backup is in scope
   */
  public static DaprRestorePlan of(
      String backup,
      DaprSnapshotFacts facts,
      KeyFilter filter,
      boolean schedulerOnly,
      BiPredicate<String, String> storeSelected,
      List<String> storeOption,
      List<String> namespaces)
      throws JobException {
    List<DaprSnapshotFacts.Store> stores =
        schedulerOnly
            ? List.of()
            : facts.stores().stream()
                .filter(s -> storeSelected.test(s.namespace(), s.name()))
                .toList();
    Optional<DaprSnapshotFacts.Scheduler> scheduler = facts.schedulerPart();
    if (stores.isEmpty() && scheduler.isEmpty()) {
      throw JobException.badInput(
          "unable to restore backup "
              + backup
              + ": it holds no state store in scope"
              + (schedulerOnly ? " and no Dapr Scheduler part" : "")
              + (storeOption.isEmpty() ? "" : " (--store " + String.join(",", storeOption) + ")"));
    }
    List<String> schedulerNamespaces =
        scheduler
            .map(
                s ->
                    s.namespaces().stream()
                        .filter(n -> namespaces.isEmpty() || namespaces.contains(n))
                        .toList())
            .orElse(List.of());
    return new DaprRestorePlan(stores, scheduler, schedulerNamespaces, filter);
  }

  /** Whether the Scheduler part holds none of the namespaces {@code --namespace} names. */
  boolean schedulerOutOfScope() {
    return scheduler.isPresent() && schedulerNamespaces.isEmpty();
  }

  /** How many keys {@code store} should hold in scope after the restore, when the record tells. */
  public Optional<Long> expected(DaprSnapshotFacts.Store store) {
    return expected(store.counts(), filter);
  }

  /** How many reminders and jobs the Scheduler should hold in scope, when the record tells. */
  Optional<Long> expectedScheduler() {
    DaprSnapshotFacts.Scheduler s = scheduler.orElseThrow();
    return expectedScheduler(s.counts(), filter, schedulerNamespaces, s.namespaces());
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

  /** The recorded reminders and jobs in scope, when the record's counts can tell. */
  static Optional<Long> expectedScheduler(
      SchedulerCounts recorded,
      KeyFilter filter,
      List<String> namespaces,
      List<String> recordedNamespaces) {
    if (!namespaces.containsAll(recordedNamespaces)) {
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
}
