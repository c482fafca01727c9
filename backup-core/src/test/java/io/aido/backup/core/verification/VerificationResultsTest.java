package io.aido.backup.core.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerificationResultsTest {
  private static final BackupId ID = new BackupId("20261124T020000Z-a1b2c3");
  private static final BackupId OTHER = new BackupId("20261124T020000Z-d4e5f6");
  private static final Instant T1 = Instant.parse("2026-11-24T03:00:00.123Z");
  private static final Instant T2 = Instant.parse("2026-11-25T03:00:00Z");

  private final MemoryBlobStore store = new MemoryBlobStore();

  private static VerificationResult result(BackupId id, Instant at, boolean ok) {
    return new VerificationResult(
        id,
        BackupKind.DB_LOGICAL,
        at,
        VerificationResult.INTEGRITY,
        ok,
        4096,
        12,
        ok ? List.of() : List.of("backup " + id + " (db-logical) part todo.dump: missing"));
  }

  @Test
  void write_thenNewest_roundTripsEveryField() throws IOException {
    VerificationResult bad = result(ID, T1, false);

    assertThat(VerificationResults.write(store, bad))
        .isEqualTo(Layout.verification(BackupKind.DB_LOGICAL, ID, T1));
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, ID)).contains(bad);
  }

  @Test
  void write_restoreTest_roundTripsTheRestoreDuration() throws IOException {
    VerificationResult restored =
        new VerificationResult(
            ID,
            BackupKind.DB_LOGICAL,
            T1,
            VerificationResult.RESTORE_TEST,
            true,
            4096,
            900,
            null,
            750L);

    VerificationResults.write(store, restored);

    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, ID)).contains(restored);
    assertThat(new String(VerificationResults.toJson(restored), StandardCharsets.UTF_8))
        .contains("\"restoreMillis\" : 750");
    assertThat(new String(VerificationResults.toJson(result(ID, T1, true)), StandardCharsets.UTF_8))
        .doesNotContain("restoreMillis");
  }

  @Test
  void write_sameBackupAndTime_failsAndKeepsTheFirst() throws IOException {
    VerificationResults.write(store, result(ID, T1, true));

    assertThatThrownBy(() -> VerificationResults.write(store, result(ID, T1, false)))
        .isInstanceOf(ObjectExistsException.class);
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, ID).orElseThrow().ok())
        .isTrue();
  }

  @Test
  void newest_perBackup_isTheLatestResultOfEach() throws IOException {
    VerificationResults.write(store, result(ID, T1, true));
    VerificationResults.write(store, result(ID, T2, false));
    VerificationResults.write(store, result(OTHER, T1, false));
    VerificationResults.write(store, result(OTHER, T2, true));

    var newest = VerificationResults.newest(store, BackupKind.DB_LOGICAL);

    assertThat(newest).containsOnlyKeys(ID, OTHER);
    assertThat(newest.get(ID).ok()).isFalse();
    assertThat(newest.get(OTHER).ok()).isTrue();
    assertThat(VerificationResults.newest(store, BackupKind.DAPR)).isEmpty();
  }

  @Test
  void newest_malformedResult_readsAsFailedNamingTheFile() throws IOException {
    VerificationResults.write(store, result(ID, T1, true));
    store.create(
        Layout.verification(BackupKind.DB_LOGICAL, ID, T2),
        new ByteArrayInputStream("{\"ok\":tru".getBytes(StandardCharsets.UTF_8)));

    VerificationResult newest =
        VerificationResults.newest(store, BackupKind.DB_LOGICAL, ID).orElseThrow();

    assertThat(newest.ok()).isFalse();
    assertThat(newest.checkedAt()).isEqualTo(T2);
    assertThat(newest.problems()).singleElement().asString().contains("is unreadable");
  }
}
