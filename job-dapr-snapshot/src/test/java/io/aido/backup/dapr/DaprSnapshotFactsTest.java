package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.RecordJson;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The typed facts of dapr records written by {@code snapshot} before they were typed (format 1):
 * one with three state stores and one skipped, one with the Scheduler's part.
 */
class DaprSnapshotFactsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void of_format1StoresRecord_readsEveryFactTyped() throws Exception {
    DaprSnapshotFacts facts = DaprSnapshotFacts.of(record("dapr.json"));

    assertThat(facts.snapshotFormat()).isEqualTo(1);
    assertThat(facts.namespaces()).containsExactly("todo");
    assertThat(facts.resourcesPart()).isEqualTo("resources.yaml");
    assertThat(facts.resources()).containsEntry("Component", 5L);
    assertThat(facts.counts().total()).isEqualTo(10);
    assertThat(facts.stores()).hasSize(3);
    DaprSnapshotFacts.Store pg = facts.stores().get(0);
    assertThat(pg.id()).isEqualTo("todo/pgstate");
    assertThat(pg.type()).isEqualTo("state.postgresql");
    assertThat(pg.layout()).isEqualTo("v2");
    assertThat(pg.table()).isEqualTo("state");
    assertThat(pg.part()).isEqualTo("state-todo_pgstate.dss");
    assertThat(pg.counts().total()).isEqualTo(5);
    assertThat(pg.notHashesLeftOut()).isNull();
    DaprSnapshotFacts.Store redis = facts.stores().get(2);
    assertThat(redis.layout()).isEqualTo("hash");
    assertThat(redis.table()).isNull();
    assertThat(redis.notHashesLeftOut()).isNotNull();
    assertThat(facts.skipped())
        .extracting(DaprSnapshotFacts.Skipped::name)
        .containsExactly("cosmos");
    assertThat(facts.scheduler().taken()).isFalse();
    assertThat(facts.scheduler().skipped()).startsWith("no StatefulSet");
    assertThat(facts.schedulerPart()).isEmpty();
    assertThat(facts.filters().stores()).isEmpty();
  }

  @Test
  void of_format1SchedulerRecord_readsThePart() throws Exception {
    DaprSnapshotFacts facts = DaprSnapshotFacts.of(record("dapr-scheduler.json"));

    DaprSnapshotFacts.Scheduler s = facts.schedulerPart().orElseThrow();
    assertThat(s.part()).isEqualTo("scheduler.dss");
    assertThat(s.revision()).isEqualTo(8);
    assertThat(s.leased()).isEqualTo(1);
    assertThat(s.namespaces()).containsExactly("todo");
    assertThat(s.counts().reminders()).isEqualTo(3);
    assertThat(s.counts().jobs()).isEqualTo(1);
    assertThat(facts.stores()).isEmpty();
  }

  @Test
  void toFacts_format1Records_writeTheSameJson() throws Exception {
    for (String name : List.of("dapr.json", "dapr-scheduler.json")) {
      BackupRecord record = record(name);
      BackupRecord rewritten = withFacts(record, DaprSnapshotFacts.of(record).toFacts());

      assertThat(JSON.readTree(RecordJson.write(rewritten)))
          .as(name)
          .isEqualTo(JSON.readTree(getClass().getResourceAsStream("/format1/" + name)));
    }
  }

  @Test
  void of_storeWithoutPart_failsNamingTheBackupAndFact() throws Exception {
    BackupRecord record = record("dapr.json");
    Map<String, Object> facts = new HashMap<>(record.facts());
    Map<String, Object> store =
        new HashMap<>((Map<String, Object>) ((List<?>) facts.get("stores")).get(0));
    store.remove("part");
    facts.put("stores", List.of(store));

    assertThatThrownBy(() -> DaprSnapshotFacts.of(withFacts(record, facts)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backup " + record.id() + " fact 'stores.part' is missing or not a string");
  }

  static BackupRecord record(String name) throws Exception {
    try (InputStream in = DaprSnapshotFactsTest.class.getResourceAsStream("/format1/" + name)) {
      return RecordJson.read(in, "format1/" + name);
    }
  }

  private static BackupRecord withFacts(BackupRecord r, Map<String, Object> facts) {
    return new BackupRecord(
        r.format(),
        r.id(),
        r.kind(),
        r.source(),
        r.toolVersion(),
        r.startedAt(),
        r.finishedAt(),
        r.status(),
        r.parts(),
        r.encryption(),
        facts);
  }
}
