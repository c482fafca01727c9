package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VerificationRecordsTest {
  private static final BackupKind KIND = BackupKind.DB_LOGICAL;
  private static final BackupId ID = new BackupId("20261124T020000Z-a1b2c3");
  private static final Instant T1 = Instant.parse("2026-11-24T04:00:00Z");
  private static final Instant T2 = Instant.parse("2026-11-25T04:00:00Z");
  private final MemoryBlobStore store = new MemoryBlobStore();

  private void result(Instant at, String json) throws IOException {
    TestRepository.put(store, Layout.verification(KIND, ID, at), json);
  }

  @Test
  void verified_okResult_isVerified() throws IOException {
    result(T1, "{\"ok\":true,\"checkedParts\":2}");

    assertThat(VerificationRecords.verified(store, KIND, ID)).isTrue();
  }

  @Test
  void verified_noResult_isNotVerified() throws IOException {
    assertThat(VerificationRecords.verified(store, KIND, ID)).isFalse();
  }

  @Test
  void verified_newerFailure_withdrawsEarlierSuccess() throws IOException {
    result(T1, "{\"ok\":true}");
    result(T2, "{\"ok\":false}");

    assertThat(VerificationRecords.verified(store, KIND, ID)).isFalse();
  }

  @Test
  void verified_newerSuccess_afterFailure_isVerified() throws IOException {
    result(T1, "{\"ok\":false}");
    result(T2, "{\"ok\":true}");

    assertThat(VerificationRecords.verified(store, KIND, ID)).isTrue();
  }

  @Test
  void verified_malformedOrStringOk_isNotVerified() throws IOException {
    result(T1, "{\"ok\":\"true\"}");
    assertThat(VerificationRecords.verified(store, KIND, ID)).isFalse();

    result(T2, "{not json");
    assertThat(VerificationRecords.verified(store, KIND, ID)).isFalse();
  }

  @Test
  void verifiedBackups_oneListing_findsEachBackupsNewestResult() throws IOException {
    BackupId other = new BackupId("20261123T020000Z-000001");
    BackupId unverified = new BackupId("20261122T020000Z-000002");
    result(T1, "{\"ok\":true}");
    TestRepository.put(store, Layout.verification(KIND, other, T1), "{\"ok\":true}");
    TestRepository.put(store, Layout.verification(KIND, other, T2), "{\"ok\":false}");
    TestRepository.put(store, Layout.verification(KIND, unverified, T1), "{}");
    TestRepository.put(
        store, Layout.verification(BackupKind.DAPR, unverified, T1), "{\"ok\":true}");

    assertThat(VerificationRecords.verifiedBackups(store, KIND)).containsExactly(ID);
  }
}
