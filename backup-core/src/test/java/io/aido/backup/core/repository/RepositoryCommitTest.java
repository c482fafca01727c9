package io.aido.backup.core.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Records;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Repository#commit}: the one way a record enters the catalog. */
class RepositoryCommitTest {
  private static final String MID = "20261124T020000Z-a1b2c3";

  private final MemoryBlobStore store = new MemoryBlobStore();
  private final Catalog catalog = new Catalog(store);
  private final Repository repo;

  RepositoryCommitTest() throws IOException {
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
  void commit_thenFind_returnsRecord() throws IOException {
    BackupRecord r = backup(BackupKind.DAPR, MID, 10);
    assertThat(catalog.find(new BackupId(MID))).contains(r);
    assertThat(store.stat(Layout.record(BackupKind.DAPR, new BackupId(MID)))).isPresent();
  }

  @Test
  void commit_missingPart_writesNothing() {
    BackupRecord r =
        Records.record(BackupKind.DAPR, MID, List.of(Records.part(BackupKind.DAPR, MID, "p", 10)));
    assertThatThrownBy(() -> repo.commit(r))
        .hasMessageContaining("unable to commit backup " + MID)
        .hasMessageContaining("part 'p'")
        .hasMessageContaining("is missing");
    assertThat(store.list("catalog/")).isEmpty();
  }

  @Test
  void commit_partOfAnotherSize_writesNothing() throws IOException {
    PartRecord part = Records.part(BackupKind.DAPR, MID, "p", 10);
    store.create(ObjectKey.of(part.object()), new ByteArrayInputStream(new byte[9]));
    BackupRecord r = Records.record(BackupKind.DAPR, MID, List.of(part));

    assertThatThrownBy(() -> repo.commit(r))
        .hasMessageContaining("has 9 bytes")
        .hasMessageContaining("but 10 were written");
    assertThat(store.list("catalog/")).isEmpty();
  }

  @Test
  void commit_twice_refusedAndKeepsOriginal() throws IOException {
    BackupRecord r = backup(BackupKind.DAPR, MID, 10);
    assertThatThrownBy(() -> repo.commit(r)).isInstanceOf(ObjectExistsException.class);
    assertThat(catalog.list(null)).containsExactly(r);
  }
}
