package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Records of format 1 as the jobs stored them before the facts were typed ({@code format1/*.json},
 * written by {@code backup} and {@code base-backup} against PostgreSQL 15): they read back typed,
 * and the typed facts write the same JSON again.
 */
class Format1RecordsTest {
  private static byte[] fixture(String name) throws IOException {
    try (InputStream in = Format1RecordsTest.class.getResourceAsStream("/format1/" + name)) {
      return in.readAllBytes();
    }
  }

  private static BackupRecord read(byte[] json) throws IOException {
    return RecordJson.read(new ByteArrayInputStream(json), "fixture");
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

  @Test
  void logicalDump_format1Record_readsTypedAndWritesTheSameJson() throws Exception {
    byte[] json = fixture("db-logical.json");
    BackupRecord record = read(json);

    LogicalDumpFacts facts = LogicalDumpFacts.of(record);

    assertThat(facts.database()).isEqualTo("todo");
    assertThat(facts.dumpPartOf(record).name()).isEqualTo("todo.dump");
    assertThat(facts.globalsPart()).isEqualTo("globals.sql");
    assertThat(facts.rowCounts())
        .containsExactly(Map.entry("public.items", 42L), Map.entry("public.tags", 0L));
    assertThat(facts.totalRows()).isEqualTo(42);
    assertThat(facts.owners()).containsExactly("pg_database_owner", "postgres");
    assertThat(facts.snapshot()).isEqualTo("00000003-0000000F-1");
    assertThat(facts.pgDumpVersion()).startsWith("pg_dump (PostgreSQL) 15.");
    assertThat(
            new String(
                RecordJson.write(withFacts(record, facts.toFacts())), StandardCharsets.UTF_8))
        .isEqualTo(new String(json, StandardCharsets.UTF_8));
  }

  @Test
  void baseBackup_format1Record_readsTypedAndWritesTheSameJson() throws Exception {
    byte[] json = fixture("db-base.json");
    BackupRecord record = read(json);

    BaseBackupFacts facts = BaseBackupFacts.of(record);

    assertThat(facts.basePart()).isEqualTo("base.tar");
    assertThat(facts.startLsn()).isEqualTo(Lsn.parse("0/2000028"));
    assertThat(facts.stopLsn()).isEqualTo(Lsn.parse("0/2000100"));
    assertThat(facts.timeline()).isEqualTo(1);
    assertThat(facts.startSegment()).isEqualTo("000000010000000000000002");
    assertThat(facts.walSegmentSize()).isEqualTo(16L << 20);
    assertThat(facts.systemIdentifier()).isEqualTo("7715729842693053446");
    assertThat(facts.startTime()).isEqualTo("2026-12-05 08:12:35 UTC");
    assertThat(facts.manifestChecksum()).hasSize(64);
    assertThat(
            new String(
                RecordJson.write(withFacts(record, facts.toFacts())), StandardCharsets.UTF_8))
        .isEqualTo(new String(json, StandardCharsets.UTF_8));
  }

  @Test
  void baseBackup_withoutOptionalFacts_readsAndLeavesThemOut() throws Exception {
    BackupRecord record = read(fixture("db-base.json"));
    Map<String, Object> facts = new LinkedHashMap<>(record.facts());
    facts.remove("startTime");
    facts.remove("manifestChecksum");

    BaseBackupFacts typed = BaseBackupFacts.of(withFacts(record, facts));

    assertThat(typed.startTime()).isNull();
    assertThat(typed.manifestChecksum()).isNull();
    assertThat(RecordJson.write(withFacts(record, typed.toFacts())))
        .isEqualTo(RecordJson.write(withFacts(record, facts)));
  }

  @Test
  void logicalDump_factMissingOrOfAnotherShape_failsNamingBackupAndFact() throws Exception {
    BackupRecord record = read(fixture("db-logical.json"));
    Map<String, Object> noDump = new LinkedHashMap<>(record.facts());
    noDump.remove("dumpPart");
    Map<String, Object> badCounts = new LinkedHashMap<>(record.facts());
    badCounts.put("rowCounts", List.of(1, 2));

    assertThatThrownBy(() -> LogicalDumpFacts.of(withFacts(record, noDump)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backup " + record.id() + " (db-logical): fact 'dumpPart' is missing");
    assertThatThrownBy(() -> LogicalDumpFacts.of(withFacts(record, badCounts)))
        .hasMessageContaining("fact 'rowCounts' is not a map of counts");
  }

  @Test
  void baseBackup_unreadableLsnOrOtherKind_fails() throws Exception {
    BackupRecord base = read(fixture("db-base.json"));
    Map<String, Object> badLsn = new LinkedHashMap<>(base.facts());
    badLsn.put("stopLsn", "16B3748");

    assertThatThrownBy(() -> BaseBackupFacts.of(withFacts(base, badLsn)))
        .hasMessage(
            "backup " + base.id() + " (db-base): fact 'stopLsn' is not a WAL position: 16B3748");
    assertThatThrownBy(() -> BaseBackupFacts.of(read(fixture("db-logical.json"))))
        .hasMessageContaining("not db-base");
  }
}
