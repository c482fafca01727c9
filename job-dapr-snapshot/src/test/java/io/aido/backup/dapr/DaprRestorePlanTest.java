package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.cli.JobException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a Dapr restore writes, decided from format-1 facts without a cluster or a store. */
class DaprRestorePlanTest {

  @Test
  void of_everything_allStoresAndTheirRecordedCounts() throws Exception {
    DaprRestorePlan plan = plan("dapr.json", KeyFilter.ALL, false, List.of(), List.of());

    assertThat(plan.stores())
        .extracting(DaprSnapshotFacts.Store::id)
        .containsExactly("todo/pgstate", "todo/pgv1state", "todo/redisstate");
    assertThat(plan.scheduler()).isEmpty();
    assertThat(plan.expected(plan.stores().get(0))).contains(5L);
  }

  @Test
  void of_storeOption_onlyThatStoreAndAppFilterSumsItsKeys() throws Exception {
    DaprRestorePlan plan =
        plan(
            "dapr.json",
            new KeyFilter(Set.of("chat-app"), Set.of()),
            false,
            List.of("pgstate"),
            List.of());

    assertThat(plan.stores())
        .extracting(DaprSnapshotFacts.Store::id)
        .containsExactly("todo/pgstate");
    assertThat(plan.expected(plan.stores().get(0))).contains(1L);
  }

  @Test
  void of_schedulerOnlyWithoutSchedulerPart_refusedNamingIt() {
    assertThatThrownBy(() -> plan("dapr.json", KeyFilter.ALL, true, List.of(), List.of()))
        .isInstanceOf(JobException.class)
        .hasMessageEndingWith(": it holds no state store in scope and no Dapr Scheduler part");
  }

  @Test
  void of_unknownStore_refusedNamingTheOption() {
    assertThatThrownBy(() -> plan("dapr.json", KeyFilter.ALL, false, List.of("nope"), List.of()))
        .isInstanceOf(JobException.class)
        .hasMessageEndingWith(": it holds no state store in scope (--store nope)");
  }

  @Test
  void of_schedulerPart_namespacesNarrowedAndExpectedFromTheRecord() throws Exception {
    DaprRestorePlan all = plan("dapr-scheduler.json", KeyFilter.ALL, true, List.of(), List.of());
    DaprRestorePlan other =
        plan("dapr-scheduler.json", KeyFilter.ALL, true, List.of(), List.of("elsewhere"));

    assertThat(all.schedulerNamespaces()).containsExactly("todo");
    assertThat(all.schedulerOutOfScope()).isFalse();
    assertThat(all.expectedScheduler()).contains(4L);
    assertThat(other.schedulerOutOfScope()).isTrue();
  }

  private static DaprRestorePlan plan(
      String fixture,
      KeyFilter filter,
      boolean schedulerOnly,
      List<String> stores,
      List<String> namespaces)
      throws Exception {
    DaprSnapshotFacts facts = DaprSnapshotFacts.of(DaprSnapshotFactsTest.record(fixture));
    return DaprRestorePlan.of(
        "20261205T084753Z-c764a6",
        facts,
        filter,
        schedulerOnly,
        (ns, name) -> stores.isEmpty() || stores.contains(name),
        stores,
        namespaces);
  }
}
