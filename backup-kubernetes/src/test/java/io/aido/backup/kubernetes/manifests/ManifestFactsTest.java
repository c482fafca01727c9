package io.aido.backup.kubernetes.manifests;

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

/** The typed facts of a manifests record read from, and written as, format 1. */
class ManifestFactsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void of_format1Record_readsEveryFactTyped() throws Exception {
    ManifestFacts facts = ManifestFacts.of(format1());

    assertThat(facts.archivePart()).isEqualTo(ManifestArchive.PART);
    assertThat(facts.objects()).isEqualTo(23);
    assertThat(facts.counts()).containsEntry("Secret", 5L).hasSize(17);
    assertThat(facts.skipped()).containsEntry("owned Pod", 2L);
    assertThat(facts.namespaces()).containsExactly("todo");
    assertThat(facts.helmReleases()).containsExactly(Map.entry("todo/todo", List.of(1, 2, 3)));
    assertThat(facts.unavailableApiGroups()).isEmpty();
  }

  @Test
  void toFacts_format1Record_writesTheSameJson() throws Exception {
    BackupRecord record = format1();
    BackupRecord rewritten = withFacts(record, ManifestFacts.of(record).toFacts());

    assertThat(JSON.readTree(RecordJson.write(rewritten)))
        .isEqualTo(JSON.readTree(RecordJson.write(record)));
    assertThat(JSON.readTree(RecordJson.write(rewritten)))
        .isEqualTo(JSON.readTree(getClass().getResourceAsStream("/format1/manifests.json")));
  }

  @Test
  void toFacts_unavailableApiGroups_storedOnlyWhenThereAreSome() throws Exception {
    ManifestFacts facts = ManifestFacts.of(format1());
    ManifestFacts unavailable =
        new ManifestFacts(
            facts.archivePart(),
            facts.objects(),
            facts.counts(),
            facts.skipped(),
            facts.namespaces(),
            facts.helmReleases(),
            List.of("metrics.k8s.io/v1beta1"));

    assertThat(facts.toFacts()).doesNotContainKey("unavailableApiGroups");
    assertThat(ManifestFacts.of(withFacts(format1(), unavailable.toFacts())))
        .isEqualTo(unavailable);
  }

  @Test
  void of_recordWithoutArchivePart_failsNamingTheBackupAndFact() throws Exception {
    BackupRecord record = format1();
    Map<String, Object> facts = new HashMap<>(record.facts());
    facts.remove("archivePart");

    assertThatThrownBy(() -> ManifestFacts.of(withFacts(record, facts)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backup 20261205T083016Z-47ee75 fact 'archivePart' is missing or not a string");
  }

  private BackupRecord format1() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/format1/manifests.json")) {
      return RecordJson.read(in, "format1/manifests.json");
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
