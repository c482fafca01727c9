package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.RetentionTimeForTests;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.gcs.GcsBlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention on a bucket that keeps objects (a hold; a retention policy works the same way through
 * {@link io.aido.backup.core.storage.ObjectLocks}): a locked backup is kept whole and listed, never
 * reported as removed, and the run does not fail. GCS through google-cloud-nio's {@code
 * LocalStorageHelper}, an in-process fake: it ignores metadata updates and, unlike GCS, would
 * delete a locked object, so a lock is set by re-creating the object with the lock's metadata (what
 * GCS reports for such an object), and these tests also show that retention never asks to delete
 * it.
 */
class RetentionRunLocksTest {
  private static final RetentionPolicy KEEP_ONE = new RetentionPolicy(1, 0, 0, 0, ZoneOffset.UTC);

  private Storage storage;
  private GcsBlobStore store;
  private TestRepository repo;
  private Instant now;

  @BeforeEach
  void setUp() {
    storage = LocalStorageHelper.customOptions(false).getService();
    store = new GcsBlobStore(storage, "dr-backups", "prod");
    repo = new TestRepository(store);
    now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  private BackupRecord backupDaysAgo(int days) throws IOException {
    return repo.backup(BackupKind.DB_LOGICAL, "todo", now.minus(Duration.ofDays(days)));
  }

  /** Re-creates the object with the same bytes and the metadata {@code lock} sets. */
  private void relock(String objectName, UnaryOperator<BlobInfo.Builder> lock) {
    BlobId id = BlobId.of("dr-backups", "prod/" + objectName);
    byte[] content = storage.readAllBytes(id);
    storage.delete(id);
    storage.create(lock.apply(BlobInfo.newBuilder(id)).build(), content);
  }

  private void hold(String objectName, boolean on) {
    relock(objectName, b -> b.setTemporaryHold(on));
  }

  @Test
  void apply_heldPart_keepsThatBackupWholeAndListedAndDoesNotFail() throws IOException {
    BackupRecord oldest = backupDaysAgo(3);
    BackupRecord older = backupDaysAgo(2);
    BackupRecord newest = backupDaysAgo(1);
    hold(oldest.parts().get(1).object(), true);

    RetentionReport report =
        new RetentionRun(store, KEEP_ONE, RetentionRun.DEFAULT_GRACE, false)
            .apply(List.of(oldest, older, newest), now);

    assertThat(report.failed()).isFalse();
    assertThat(report.removals())
        .extracting(Removal::id, Removal::outcome)
        .containsExactly(
            tuple(oldest.id(), Removal.Outcome.KEPT_LOCKED),
            tuple(older.id(), Removal.Outcome.REMOVED));
    assertThat(report.removals().get(0).message())
        .contains(oldest.parts().get(1).object(), "a temporary hold", "stays whole and listed");
    assertThat(report.removed()).isEqualTo(1);
    assertThat(report.summary()).contains("1 kept by the store's retention policy or holds");
    assertThat(repo.names()).containsAll(TestRepository.namesOf(oldest));
    assertThat(repo.names()).doesNotContainAnyElementsOf(TestRepository.namesOf(older));
  }

  @Test
  void apply_holdReleased_nextRunRemovesTheBackup() throws IOException {
    BackupRecord oldest = backupDaysAgo(3);
    BackupRecord newest = backupDaysAgo(1);
    hold(Layout.record(oldest.kind(), oldest.id()).name(), true);
    RetentionRun run = new RetentionRun(store, KEEP_ONE, RetentionRun.DEFAULT_GRACE, false);
    assertThat(run.apply(List.of(oldest, newest), now).removals())
        .extracting(Removal::outcome)
        .containsExactly(Removal.Outcome.KEPT_LOCKED);

    hold(Layout.record(oldest.kind(), oldest.id()).name(), false);
    RetentionReport report = run.apply(List.of(oldest, newest), now);

    assertThat(report.removals())
        .extracting(Removal::outcome)
        .containsExactly(Removal.Outcome.REMOVED);
    assertThat(repo.names()).doesNotContainAnyElementsOf(TestRepository.namesOf(oldest));
  }

  @Test
  void apply_recordUnderRetentionPolicy_keepsTheBackupUntilThePolicyEnds() throws IOException {
    BackupRecord oldest = backupDaysAgo(3);
    BackupRecord newest = backupDaysAgo(1);
    Instant until = now.plus(Duration.ofDays(10));
    relock(
        Layout.record(oldest.kind(), oldest.id()).name(),
        b -> RetentionTimeForTests.retainedUntil(b, until.atOffset(ZoneOffset.UTC)));
    RetentionRun run = new RetentionRun(store, KEEP_ONE, RetentionRun.DEFAULT_GRACE, false);

    RetentionReport locked = run.apply(List.of(oldest, newest), now);

    assertThat(locked.failed()).isFalse();
    assertThat(locked.removals().get(0).outcome()).isEqualTo(Removal.Outcome.KEPT_LOCKED);
    assertThat(locked.removals().get(0).message())
        .contains("the bucket's retention policy until " + until);
    assertThat(repo.names()).containsAll(TestRepository.namesOf(oldest));

    RetentionReport later = run.apply(List.of(oldest, newest), until.plusSeconds(1));

    assertThat(later.removals().get(0).outcome()).isEqualTo(Removal.Outcome.REMOVED);
    assertThat(repo.names()).doesNotContainAnyElementsOf(TestRepository.namesOf(oldest));
  }

  @Test
  void lock_objectWithoutHoldOrRetention_isUnlocked() throws IOException {
    BackupRecord r = backupDaysAgo(1);

    assertThat(store.lock(ObjectKey.of(r.parts().get(0).object()), now)).isEmpty();
    assertThat(store.lock(ObjectKey.of("data/none"), now)).isEmpty();
  }
}
