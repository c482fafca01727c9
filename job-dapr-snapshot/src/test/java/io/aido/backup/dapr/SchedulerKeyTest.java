package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SchedulerKeyTest {

  @Test
  void classify_reminderJobAndCounter_byDaprsNames() {
    SchedulerKey r =
        SchedulerKey.classify("dapr/jobs/actorreminder||todo||TodoActor||7||remind||9am")
            .orElseThrow();
    assertThat(r.kind()).isEqualTo(SchedulerKey.Kind.REMINDER);
    assertThat(r.counter()).isFalse();
    assertThat(r.namespace()).isEqualTo("todo");
    assertThat(r.actorType()).isEqualTo("TodoActor");
    assertThat(r.appId()).isNull();
    assertThat(r.jobName()).isEqualTo("actorreminder||todo||TodoActor||7||remind||9am");

    SchedulerKey j =
        SchedulerKey.classify("dapr/counters/app||ledger||todo-app||nightly").orElseThrow();
    assertThat(j.kind()).isEqualTo(SchedulerKey.Kind.JOB);
    assertThat(j.counter()).isTrue();
    assertThat(j.appId()).isEqualTo("todo-app");
    assertThat(j.actorType()).isNull();
    assertThat(j.jobName()).isEqualTo("app||ledger||todo-app||nightly");
  }

  @Test
  void classify_leadershipOrUnknownShapes_empty() {
    assertThat(SchedulerKey.classify("dapr/leadership/0")).isEmpty();
    assertThat(SchedulerKey.classify("dapr/jobs/app||todo||x")).isEmpty();
    assertThat(SchedulerKey.classify("dapr/jobs/actorreminder||todo||||1||r")).isEmpty();
    assertThat(SchedulerKey.classify("other/jobs/app||todo||a||j")).isEmpty();
  }

  @Test
  void selected_namespacesAndFilters_asForStateKeys() {
    SchedulerKey reminder =
        SchedulerKey.classify(SchedulerKey.reminderJobKey("todo", "TodoActor", "1", "r"))
            .orElseThrow();
    SchedulerKey job =
        SchedulerKey.classify(SchedulerKey.appJobKey("todo", "todo-app", "j")).orElseThrow();

    assertThat(reminder.selected(List.of(), KeyFilter.ALL)).isTrue();
    assertThat(reminder.selected(List.of("other"), KeyFilter.ALL)).isFalse();
    KeyFilter app = new KeyFilter(Set.of("todo-app"), Set.of());
    assertThat(job.selected(List.of("todo"), app)).isTrue();
    assertThat(reminder.selected(List.of("todo"), app)).isFalse();
    KeyFilter type = new KeyFilter(Set.of(), Set.of("TodoActor"));
    assertThat(reminder.selected(List.of("todo"), type)).isTrue();
    assertThat(job.selected(List.of("todo"), type)).isFalse();
  }

  @Test
  void dueTime_storedJobWithDueTimeOrStart_read_otherBytesEmpty() throws IOException {
    Instant t = Instant.parse("2026-11-24T09:00:00.5Z");

    assertThat(StoredJob.dueTime(SchedulerIT.storedJob(3, t, "spec"))).contains(t);
    assertThat(StoredJob.dueTime(SchedulerIT.storedJob(2, t, "spec"))).contains(t);
    assertThat(StoredJob.dueTime("not a protobuf".getBytes(StandardCharsets.UTF_8))).isEmpty();
    assertThat(StoredJob.dueTime(new byte[0])).isEmpty();
  }

  @Test
  void prefixEnd_lastByteIncremented() {
    assertThat(SchedulerKey.prefixEnd("dapr/jobs/".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("dapr/jobs0".getBytes(StandardCharsets.UTF_8));
    assertThat(SchedulerKey.prefixEnd(new byte[] {'a', (byte) 0xff})).isEqualTo(new byte[] {'b'});
  }

  @Test
  void expectedScheduler_filtersAndNamespaces_sumOfTheRecordedCounts() {
    SchedulerCounts c = new SchedulerCounts();
    for (String k :
        List.of(
            SchedulerKey.reminderJobKey("a", "T", "1", "r"),
            SchedulerKey.reminderJobKey("b", "T", "1", "r"),
            SchedulerKey.appJobKey("a", "app", "j"),
            SchedulerKey.COUNTERS + "app||a||app||j")) {
      c.add(SchedulerKey.classify(k).orElseThrow());
    }
    SchedulerCounts read = SchedulerCounts.fromFacts(c.facts());
    List<String> facts = List.of("a", "b");

    assertThat(DaprRestorePlan.expectedScheduler(read, KeyFilter.ALL, List.of("a", "b"), facts))
        .contains(3L);
    assertThat(DaprRestorePlan.expectedScheduler(read, KeyFilter.ALL, List.of("a"), facts))
        .contains(2L);
    assertThat(
            DaprRestorePlan.expectedScheduler(
                read, new KeyFilter(Set.of(), Set.of("T")), List.of("a", "b"), facts))
        .contains(2L);
    assertThat(
            DaprRestorePlan.expectedScheduler(
                read, new KeyFilter(Set.of("app"), Set.of()), List.of("a"), facts))
        .isEmpty();
  }
}
