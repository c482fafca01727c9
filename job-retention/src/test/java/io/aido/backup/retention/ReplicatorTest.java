package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Replicator} between two real filesystem repositories. */
class ReplicatorTest {
  @TempDir Path dir;
  private ReplicaFixture fixture;
  private Path primaryRoot;
  private LocalBlobStore primary;
  private LocalBlobStore secondary;
  private final List<String> lines = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    fixture = new ReplicaFixture(dir);
    primaryRoot = dir.resolve("primary");
    primary = new LocalBlobStore(primaryRoot);
    secondary = new LocalBlobStore(dir.resolve("secondary"));
  }

  private Replicator.Report replicate(BlobStore target) throws IOException {
    return new Replicator(primary, target, Instant.parse("2026-12-01T00:00:00Z"), lines::add).run();
  }

  @Test
  void replicate_newBackupsAndWal_secondaryHoldsTheSameBytesAndDecrypts() throws Exception {
    BackupRecord a = fixture.backup(primary, 200_000);
    BackupRecord b = fixture.backup(primary, 50_000);
    fixture.wal(primary, "000000010000000000000001");
    fixture.wal(primary, "000000010000000000000002.00001000.partial");

    Replicator.Report report = replicate(secondary);

    assertThat(report.failed()).isFalse();
    assertThat(report.backupsCopied()).isEqualTo(2);
    assertThat(report.walCopied()).isEqualTo(2);
    assertThat(report.objectsCopied()).isEqualTo(1 + 2 * 3 + 2); // format.json too
    assertThat(report.lag()).isEqualTo(Duration.ZERO);
    for (String area : List.of(Layout.CATALOG, Layout.DATA, Layout.WAL)) {
      assertThat(ReplicaFixture.contents(secondary, area))
          .as(area)
          .containsExactlyInAnyOrderEntriesOf(ReplicaFixture.contents(primary, area));
    }
    assertThat(new Catalog(secondary).list(null)).containsExactly(a, b);
    assertThat(fixture.readAll(secondary, b)).containsExactly(50_000L, 50_000L / 3);
  }

  @Test
  void newRecords_carryTheStoredBytesSha256() throws Exception {
    BackupRecord a = fixture.backup(primary, 10_000);
    for (PartRecord p : a.parts()) {
      byte[] stored;
      try (InputStream in = primary.open(ObjectKey.of(p.object()))) {
        stored = in.readAllBytes();
      }
      assertThat(p.storedSha256()).isEqualTo(sha256(stored));
    }
  }

  @Test
  void replicate_nothingNew_copiesNothing() throws Exception {
    fixture.backup(primary, 10_000);
    fixture.wal(primary, "000000010000000000000001");
    replicate(secondary);
    lines.clear();

    Replicator.Report again = replicate(secondary);

    assertThat(again.backupsCopied()).isZero();
    assertThat(again.walCopied()).isZero();
    assertThat(again.objectsCopied()).isZero();
    assertThat(again.failed()).isFalse();
    assertThat(lines).isEmpty();
  }

  @Test
  void replicate_oldRecordWithoutStoredHash_copiedAndCheckedAgainstPrimaryBytes() throws Exception {
    BackupRecord old = fixture.oldStyleBackup(primary);
    assertThat(old.parts().get(0).storedSha256()).isNull();

    Replicator.Report report = replicate(secondary);

    assertThat(report.failed()).isFalse();
    assertThat(new Catalog(secondary).list(null)).containsExactly(old);
    assertThat(ReplicaFixture.contents(secondary, Layout.DATA))
        .containsExactlyInAnyOrderEntriesOf(ReplicaFixture.contents(primary, Layout.DATA));
  }

  @Test
  void replicate_damagedPrimaryPart_failsThatBackupOnlyAndWritesNoRecordForIt() throws Exception {
    BackupRecord damaged = fixture.backup(primary, 20_000);
    BackupRecord good = fixture.backup(primary, 20_000);
    Path part = primaryRoot.resolve(damaged.parts().get(0).object());
    byte[] bytes = Files.readAllBytes(part);
    bytes[bytes.length / 2] ^= 1; // same size, one bit off: only the hash can tell
    Files.delete(part);
    Files.write(part, bytes);

    Replicator.Report report = replicate(secondary);

    assertThat(report.failed()).isTrue();
    assertThat(report.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.id()).isEqualTo(damaged.id());
              assertThat(f.message()).contains("SHA-256", "no record was written");
            });
    assertThat(report.backupsCopied()).isEqualTo(1);
    assertThat(new Catalog(secondary).list(null)).containsExactly(good);
    assertThat(secondary.stat(ObjectKey.of(damaged.parts().get(0).object()))).isEmpty();
    assertThat(report.lag())
        .isEqualTo(Duration.between(damaged.id().time(), Instant.parse("2026-12-01T00:00:00Z")));
  }

  @Test
  void replicate_secondaryCorruptsOnWrite_failsWithNoRecordAndNextRunCompletes() throws Exception {
    BackupRecord a = fixture.backup(primary, 30_000);
    BlobStore flipping =
        new FaultInjectingBlobStore(secondary)
            .corruptUploads(FaultInjectingBlobStore.under(Layout.DATA));

    Replicator.Report report = replicate(flipping);

    assertThat(report.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.id()).isEqualTo(a.id());
              assertThat(f.message()).contains("reads back");
            });
    assertThat(new Catalog(secondary).list(null)).isEmpty();

    Replicator.Report healed = replicate(secondary);

    assertThat(healed.failed()).isFalse();
    assertThat(new Catalog(secondary).list(null)).containsExactly(a);
    assertThat(fixture.readAll(secondary, a)).hasSize(2);
  }

  @Test
  void replicate_partLeftByAKilledRun_isAcceptedWhenItMatches() throws Exception {
    BackupRecord a = fixture.backup(primary, 30_000);
    ObjectKey first = ObjectKey.of(a.parts().get(0).object());
    try (InputStream in = primary.open(first)) {
      secondary.create(first, in);
    }

    Replicator.Report report = replicate(secondary);

    assertThat(report.failed()).isFalse();
    assertThat(report.objectsCopied()).isEqualTo(3); // format.json, the other part, the record
    assertThat(new Catalog(secondary).list(null)).containsExactly(a);
  }

  @Test
  void replicate_foreignObjectUnderAPartsName_isReplacedByThePrimarysBytes() throws Exception {
    BackupRecord a = fixture.backup(primary, 30_000);
    ObjectKey first = ObjectKey.of(a.parts().get(0).object());
    secondary.create(first, new ByteArrayInputStream(new byte[] {1, 2, 3}));

    Replicator.Report report = replicate(secondary);

    assertThat(report.failed()).isFalse();
    assertThat(ReplicaFixture.contents(secondary, Layout.DATA))
        .containsExactlyInAnyOrderEntriesOf(ReplicaFixture.contents(primary, Layout.DATA));
    assertThat(new Catalog(secondary).list(null)).containsExactly(a);
  }

  @Test
  void replicate_primaryPartMissing_failsThatBackupNamingThePart() throws Exception {
    BackupRecord a = fixture.backup(primary, 10_000);
    Files.delete(primaryRoot.resolve(a.parts().get(1).object()));

    Replicator.Report report = replicate(secondary);

    assertThat(report.failures())
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("globals.sql", "no record was written"));
    assertThat(secondary.stat(Layout.record(a.kind(), a.id()))).isEmpty();
  }

  private static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }
}
