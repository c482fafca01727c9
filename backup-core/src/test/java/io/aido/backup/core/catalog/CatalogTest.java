package io.aido.backup.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogTest {
  private static final String OLD = "20261123T020000Z-000001";
  private static final String MID = "20261124T020000Z-a1b2c3";
  private static final String NEW = "20261125T020000Z-ffffff";

  private final MemoryBlobStore store = new MemoryBlobStore();
  private final Catalog catalog = new Catalog(store);
  private final Repository repo;

  CatalogTest() throws IOException {
    repo = Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
  }

  /** Stores a payload of {@code size} bytes and commits a record naming it. */
  private BackupRecord backup(BackupKind kind, String id, int size) throws IOException {
    PartRecord part = Records.part(kind, id, "payload", size);
    store.create(ObjectKey.of(part.object()), new ByteArrayInputStream(new byte[size]));
    BackupRecord r = Records.record(kind, id, List.of(part));
    repo.commit(r);
    return r;
  }

  @Test
  void listAndLatest_twoBackupsStartedInTheSameSecond_orderedByTheirStartInstant()
      throws IOException {
    // ids name the start second only: "ffffff" sorts after "000000" but started first
    String earlier = "20261124T020000Z-ffffff";
    String later = "20261124T020000Z-000000";
    for (String[] b : new String[][] {{earlier, "0.100"}, {later, "0.900"}}) {
      PartRecord part = Records.part(BackupKind.DB_LOGICAL, b[0], "payload", 4);
      store.create(ObjectKey.of(part.object()), new ByteArrayInputStream(new byte[4]));
      BackupRecord r = Records.record(BackupKind.DB_LOGICAL, b[0], List.of(part));
      java.time.Instant start = Records.at("2026-11-24T02:00:0" + b[1] + "Z");
      repo.commit(
          new BackupRecord(
              r.format(),
              r.id(),
              r.kind(),
              r.source(),
              r.toolVersion(),
              start,
              start.plusSeconds(5),
              r.status(),
              r.parts(),
              r.encryption(),
              r.facts()));
    }

    assertThat(catalog.list(BackupKind.DB_LOGICAL))
        .extracting(r -> r.id().value())
        .containsExactly(earlier, later);
    assertThat(catalog.latest(BackupKind.DB_LOGICAL).orElseThrow().id().value()).isEqualTo(later);
  }

  @Test
  void list_oldestFirst_filteredByKind() throws IOException {
    BackupRecord mid = backup(BackupKind.DB_LOGICAL, MID, 1);
    BackupRecord old = backup(BackupKind.DAPR, OLD, 1);
    BackupRecord neu = backup(BackupKind.DB_LOGICAL, NEW, 1);

    assertThat(catalog.list(null)).containsExactly(old, mid, neu);
    assertThat(catalog.list(BackupKind.DB_LOGICAL)).containsExactly(mid, neu);
    assertThat(catalog.list(BackupKind.MANIFESTS)).isEmpty();
  }

  @Test
  void list_payloadWithoutRecord_isInvisible() throws IOException {
    store.create(
        Layout.part(BackupKind.DAPR, new BackupId(MID), "state"),
        new ByteArrayInputStream(new byte[3]));
    assertThat(catalog.list(null)).isEmpty();
    assertThat(catalog.find(new BackupId(MID))).isEmpty();
    assertThat(catalog.latest(BackupKind.DAPR)).isEmpty();
  }

  @Test
  void list_corruptRecord_skippedAndReportedByScan() throws IOException {
    BackupRecord good = backup(BackupKind.DAPR, OLD, 1);
    ObjectKey bad = Layout.record(BackupKind.DAPR, new BackupId(NEW));
    store.create(bad, new ByteArrayInputStream("{ broken".getBytes(StandardCharsets.UTF_8)));
    store.create(ObjectKey.of("catalog/dapr/notes.txt"), new ByteArrayInputStream(new byte[] {1}));

    assertThat(catalog.list(null)).containsExactly(good);
    Catalog.Listing scan = catalog.scan(null);
    assertThat(scan.records()).containsExactly(good);
    assertThat(scan.unreadable()).hasSize(1);
    assertThat(scan.unreadable().get(0).key()).isEqualTo(bad);
    assertThat(scan.unreadable().get(0).problem()).contains("not valid JSON");
    assertThatThrownBy(() -> catalog.find(new BackupId(NEW)))
        .hasMessageContaining("unable to read backup " + NEW);
  }

  @Test
  void list_recordUnderAnotherName_isUnreadable() throws IOException {
    BackupRecord r = backup(BackupKind.DAPR, OLD, 1);
    store.create(
        Layout.record(BackupKind.DAPR, new BackupId(NEW)),
        new ByteArrayInputStream(RecordJson.write(r)));

    assertThat(catalog.scan(BackupKind.DAPR).unreadable())
        .singleElement()
        .satisfies(u -> assertThat(u.problem()).contains("not the one its name says"));
  }

  @Test
  void latest_returnsNewestOfKind() throws IOException {
    backup(BackupKind.DB_LOGICAL, OLD, 1);
    BackupRecord mid = backup(BackupKind.DB_LOGICAL, MID, 1);
    BackupRecord neu = backup(BackupKind.DAPR, NEW, 1);

    assertThat(catalog.latest(BackupKind.DB_LOGICAL)).contains(mid);
    assertThat(catalog.latest(null)).contains(neu);
  }

  @Test
  void resolve_latestAndId_findBackups() throws IOException {
    BackupRecord old = backup(BackupKind.DB_LOGICAL, OLD, 1);
    BackupRecord mid = backup(BackupKind.DB_LOGICAL, MID, 1);

    assertThat(catalog.resolve("latest", BackupKind.DB_LOGICAL)).isEqualTo(mid);
    assertThat(catalog.resolve(OLD, BackupKind.DB_LOGICAL)).isEqualTo(old);
    assertThat(catalog.resolve(OLD, null)).isEqualTo(old);
  }

  @Test
  void resolve_nothingThere_saysWhatWasAsked() throws IOException {
    assertThatThrownBy(() -> catalog.resolve("latest", BackupKind.DAPR))
        .isInstanceOf(IOException.class)
        .hasMessage("no dapr backup in memory:// yet");
    assertThatThrownBy(() -> catalog.resolve(MID, BackupKind.DAPR))
        .hasMessage("no backup " + MID + " in memory://");
    assertThatThrownBy(() -> catalog.resolve("yesterday", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'yesterday' is not a backup id");
    backup(BackupKind.MANIFESTS, MID, 1);
    assertThatThrownBy(() -> catalog.resolve(MID, BackupKind.DAPR))
        .hasMessageContaining("is a manifests backup, not a dapr backup");
  }
}
