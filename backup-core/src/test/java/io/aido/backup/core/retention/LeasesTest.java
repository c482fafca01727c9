package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LeasesTest {
  private static final Instant NOW = Instant.parse("2026-11-24T03:00:00Z");
  private static final BackupId ID = new BackupId("20261124T020000Z-a1b2c3");
  private final MemoryBlobStore store = new MemoryBlobStore();

  @Test
  void acquire_thenLive_listsTheLeaseUntilItExpires() throws IOException {
    Lease lease =
        Leases.acquire(
            store, BackupKind.DB_LOGICAL, ID, "restore-1", "restore", Duration.ofHours(1), NOW);

    assertThat(Leases.live(store, BackupKind.DB_LOGICAL, ID, NOW)).containsExactly(lease);
    assertThat(store.stat(Layout.lease(BackupKind.DB_LOGICAL, ID, "restore-1"))).isPresent();
    // within the clock tolerance after expiry it still protects; after that it does not
    assertThat(Leases.live(store, BackupKind.DB_LOGICAL, ID, NOW.plus(Duration.ofMinutes(64))))
        .hasSize(1);
    assertThat(Leases.live(store, BackupKind.DB_LOGICAL, ID, NOW.plus(Duration.ofMinutes(66))))
        .isEmpty();
  }

  @Test
  void release_removesTheLeaseAndSucceedsTwice() throws IOException {
    Leases.acquire(store, BackupKind.DAPR, ID, "verify-1", "verify", Duration.ofHours(1), NOW);

    Leases.release(store, BackupKind.DAPR, ID, "verify-1");
    Leases.release(store, BackupKind.DAPR, ID, "verify-1");

    assertThat(Leases.live(store, BackupKind.DAPR, ID, NOW)).isEmpty();
  }

  @Test
  void acquire_sameHolderTwice_failsAndKeepsTheFirst() throws IOException {
    Leases.acquire(store, BackupKind.DAPR, ID, "verify-1", "verify", Duration.ofHours(1), NOW);

    assertThatThrownBy(
            () ->
                Leases.acquire(
                    store, BackupKind.DAPR, ID, "verify-1", "verify", Duration.ofHours(9), NOW))
        .isInstanceOf(ObjectExistsException.class);
    assertThat(Leases.live(store, BackupKind.DAPR, ID, NOW))
        .singleElement()
        .satisfies(l -> assertThat(l.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1))));
  }

  @Test
  void acquire_malformedHolderOrDuration_fails() {
    assertThatThrownBy(
            () ->
                Leases.acquire(
                    store, BackupKind.DAPR, ID, "../x", "verify", Duration.ofHours(1), NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid lease holder '../x'");
    assertThatThrownBy(
            () -> Leases.acquire(store, BackupKind.DAPR, ID, "v", "verify", Duration.ZERO, NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be positive, got PT0S");
  }

  @Test
  void live_unreadableLease_countsAsLive() throws IOException {
    TestRepository.put(store, Layout.lease(BackupKind.DAPR, ID, "garbage"), "not json");

    assertThat(Leases.live(store, BackupKind.DAPR, ID, NOW.plus(Duration.ofDays(3650))))
        .singleElement()
        .satisfies(l -> assertThat(l.purpose()).isEqualTo("unreadable lease"));
  }

  @Test
  void liveByBackup_oneListing_groupsLiveLeasesByBackup() throws IOException {
    BackupId other = new BackupId("20261123T020000Z-000001");
    Leases.acquire(store, BackupKind.DAPR, ID, "a", "restore", Duration.ofHours(1), NOW);
    Leases.acquire(store, BackupKind.DAPR, ID, "b", "verify", Duration.ofHours(1), NOW);
    Leases.acquire(
        store,
        BackupKind.DAPR,
        other,
        "c",
        "verify",
        Duration.ofMinutes(1),
        NOW.minus(Duration.ofDays(1)));
    Leases.acquire(store, BackupKind.MANIFESTS, other, "d", "verify", Duration.ofHours(1), NOW);

    assertThat(Leases.liveByBackup(store, BackupKind.DAPR, NOW))
        .containsOnlyKeys(ID)
        .satisfies(
            m ->
                assertThat(m.get(ID))
                    .extracting(Lease::holder)
                    .containsExactlyInAnyOrder("a", "b"));
  }
}
