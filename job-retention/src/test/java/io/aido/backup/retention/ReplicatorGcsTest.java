package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Replicator} with GCS on either side, through google-cloud-nio's {@code
 * LocalStorageHelper}, an in-process fake of the GCS client: no real bucket can be reached from the
 * tests. Faults at the HTTP level are in {@link ReplicatorGcsFaultsTest}.
 */
class ReplicatorGcsTest {
  @TempDir Path dir;
  private ReplicaFixture fixture;
  private Storage storage;
  private final List<String> lines = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    fixture = new ReplicaFixture(dir);
    storage = LocalStorageHelper.customOptions(false).getService();
  }

  @Test
  void replicate_gcsToGcs_copiesInsideTheStoreAndTheCopyDecrypts() throws Exception {
    GcsBlobStore primary = new GcsBlobStore(storage, "aido-backups", "prod");
    GcsBlobStore secondary = new GcsBlobStore(storage, "aido-backups-dr", "prod-copy");
    BackupRecord a = fixture.backup(primary, 100_000);
    BackupRecord b = fixture.oldStyleBackup(primary);
    fixture.wal(primary, "000000010000000000000001");

    Replicator.Report report = new Replicator(primary, secondary, Instant.now(), lines::add).run();

    assertThat(report.failed()).as(report.summary()).isFalse();
    assertThat(report.serverSide()).isTrue();
    assertThat(report.backupsCopied()).isEqualTo(2);
    assertThat(report.walCopied()).isEqualTo(1);
    for (String area : List.of(Layout.CATALOG, Layout.DATA, Layout.WAL)) {
      assertThat(ReplicaFixture.contents(secondary, area))
          .as(area)
          .containsExactlyInAnyOrderEntriesOf(ReplicaFixture.contents(primary, area));
    }
    assertThat(new Catalog(secondary).list(null)).containsExactly(a, b);
    assertThat(fixture.readAll(secondary, a)).containsExactly(100_000L, 100_000L / 3);

    Replicator.Report again = new Replicator(primary, secondary, Instant.now(), lines::add).run();
    assertThat(again.objectsCopied()).isZero();
  }

  @Test
  void replicate_fileToGcs_streamsAndTheCopyDecrypts() throws Exception {
    LocalBlobStore primary = new LocalBlobStore(dir.resolve("primary"));
    GcsBlobStore secondary = new GcsBlobStore(storage, "aido-backups-dr", "prod");
    BackupRecord a = fixture.backup(primary, 300_000);

    Replicator.Report report = new Replicator(primary, secondary, Instant.now(), lines::add).run();

    assertThat(report.failed()).isFalse();
    assertThat(report.serverSide()).isFalse();
    assertThat(new Catalog(secondary).list(null)).containsExactly(a);
    assertThat(fixture.readAll(secondary, a)).containsExactly(300_000L, 100_000L);
  }

  @Test
  void replicate_gcsToFile_streams() throws Exception {
    GcsBlobStore primary = new GcsBlobStore(storage, "aido-backups", "prod");
    LocalBlobStore secondary = new LocalBlobStore(dir.resolve("secondary"));
    BackupRecord a = fixture.backup(primary, 30_000);

    Replicator.Report report = new Replicator(primary, secondary, Instant.now(), lines::add).run();

    assertThat(report.failed()).isFalse();
    assertThat(report.serverSide()).isFalse();
    assertThat(new Catalog(secondary).list(null)).containsExactly(a);
  }
}
