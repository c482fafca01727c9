package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@link RetentionRun} on a real in-memory store; faults are injected by a wrapping store. */
class RetentionRunTest {
  private static final LocalDate TODAY = LocalDate.of(2026, 11, 24);
  private static final Instant NOW = TODAY.atTime(3, 0).toInstant(ZoneOffset.UTC);
  private static final Duration GRACE = RetentionRun.DEFAULT_GRACE;

  private final TestRepository repo = new TestRepository();

  /** One db-logical backup of "todo" a day at 02:00 UTC for {@code days} days up to today. */
  private List<BackupRecord> daily(int days) throws IOException {
    List<BackupRecord> records = new ArrayList<>();
    for (int i = days - 1; i >= 0; i--) {
      Instant start = TODAY.minusDays(i).atTime(2, 0).toInstant(ZoneOffset.UTC);
      records.add(repo.backup(BackupKind.DB_LOGICAL, "todo", start));
    }
    return records;
  }

  private RetentionReport run(List<BackupRecord> records, boolean dryRun) throws IOException {
    return new RetentionRun(repo.store, RetentionPolicy.DEFAULT, GRACE, dryRun).apply(records, NOW);
  }

  /** The backups the default policy keeps of {@link #daily}: the 30 + 12 rule. */
  private static boolean keptByDefault(BackupRecord r) {
    LocalDate d = LocalDate.ofInstant(r.startedAt(), ZoneOffset.UTC);
    boolean daily = d.isAfter(TODAY.minusDays(30));
    boolean monthly =
        (d.equals(d.withDayOfMonth(d.lengthOfMonth())) || d.equals(TODAY))
            && !YearMonth.from(d).isBefore(YearMonth.from(TODAY).minusMonths(11));
    return daily || monthly;
  }

  private static Set<String> namesOf(List<BackupRecord> records) {
    Set<String> names = new TreeSet<>();
    records.forEach(r -> names.addAll(TestRepository.namesOf(r)));
    return names;
  }

  @Test
  void apply_400DailyBackups_leavesExactlyTheKeptBackupsObjectByObject() throws IOException {
    List<BackupRecord> records = daily(400);

    RetentionReport report = run(records, false);

    List<BackupRecord> kept = records.stream().filter(RetentionRunTest::keptByDefault).toList();
    assertThat(kept).hasSize(40);
    assertThat(repo.names()).isEqualTo(namesOf(kept));
    assertThat(report.kept()).isEqualTo(40);
    assertThat(report.removed()).isEqualTo(360);
    assertThat(report.bytesFreed()).isEqualTo(360L * (150 + 20));
    assertThat(report.failed()).isFalse();
    assertThat(report.summary())
        .isEqualTo("kept 40, removed 360 backups and 0 leftovers (61200 bytes)");
  }

  @Test
  void apply_dryRun_deletesNothingAndReportsTheSamePlan() throws IOException {
    List<BackupRecord> records = daily(100);
    Set<String> before = repo.names();

    RetentionReport dry = run(records, true);

    assertThat(repo.names()).isEqualTo(before);
    assertThat(dry.summary()).startsWith("dry run: kept 32, would remove 68 backups");
    RetentionReport real = run(records, false);
    assertThat(real.plans()).isEqualTo(dry.plans());
    assertThat(real.bytesFreed()).isEqualTo(dry.bytesFreed());
    assertThat(repo.names()).hasSize(32 * 3);
  }

  @Test
  void apply_crashAfterRecordDeletion_leavesNothingVisibleAndTheNextRunFinishes()
      throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(40);
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.startsWith(Layout.DATA)) {
            throw new IllegalStateException("injected crash before deleting " + key);
          }
        });
    RetentionRun run = new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false);

    assertThatThrownBy(() -> run.apply(records, NOW)).hasMessageStartingWith("injected crash");

    BackupRecord oldest = records.get(0);
    assertThat(repo.store.stat(Layout.record(oldest.kind(), oldest.id()))).isEmpty();
    assertThat(repo.store.list(Layout.dataPrefix(oldest.kind(), oldest.id()))).hasSize(2);
    List<BackupRecord> stillListed =
        records.stream().filter(r -> !r.id().equals(oldest.id())).toList();
    faulty.clear();

    RetentionReport next = run.apply(stillListed, NOW);

    List<BackupRecord> kept = records.stream().filter(RetentionRunTest::keptByDefault).toList();
    assertThat(repo.names()).isEqualTo(namesOf(kept));
    assertThat(next.leftovers())
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.id()).isEqualTo(oldest.id());
              assertThat(l.outcome()).isEqualTo(Removal.Outcome.REMOVED);
              assertThat(l.objects()).isEqualTo(2);
            });
  }

  @Test
  void apply_crashAfterRecordDeletion_leavesDataWithoutVerificationResults() throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(40);
    BackupRecord oldest = records.get(0);
    for (BackupRecord r : records) {
      VerificationResults.write(
          repo.store,
          new VerificationResult(
              r.id(),
              r.kind(),
              NOW.minusSeconds(60),
              VerificationResult.INTEGRITY,
              true,
              1,
              1,
              null));
    }
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.startsWith(Layout.DATA)) {
            throw new IllegalStateException("injected crash before deleting " + key);
          }
        });
    RetentionRun run = new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false);

    assertThatThrownBy(() -> run.apply(records, NOW)).hasMessageStartingWith("injected crash");

    // what verify --all reports as a deleted record is data with results: not this
    assertThat(repo.store.stat(Layout.record(oldest.kind(), oldest.id()))).isEmpty();
    assertThat(repo.store.list(Layout.dataPrefix(oldest.kind(), oldest.id()))).hasSize(2);
    assertThat(repo.store.list(Layout.verifyPrefix(oldest.kind(), oldest.id()))).isEmpty();
  }

  @Test
  void apply_storeRefusesARecordDeletion_keepsThatBackupWholeAndRemovesTheRest()
      throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(35);
    BackupRecord locked = records.get(0);
    ObjectKey lockedRecord = Layout.record(locked.kind(), locked.id());
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.equals(lockedRecord)) {
            throw new DeletionRefusedException(key, "memory://test", "object hold");
          }
        });

    RetentionReport report =
        new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false).apply(records, NOW);

    assertThat(report.failed()).isFalse();
    assertThat(report.removals())
        .filteredOn(r -> r.outcome() == Removal.Outcome.REFUSED)
        .singleElement()
        .satisfies(r -> assertThat(r.message()).contains("object hold", "kept whole"));
    assertThat(repo.names()).containsAll(TestRepository.namesOf(locked));
    // 35 days: 30 dailies (the monthlies of October and November among them), 5 to remove
    assertThat(report.removed()).isEqualTo(4);
    assertThat(report.summary()).endsWith("; 1 refused by the store");
  }

  @Test
  void apply_storeRefusesADataDeletion_removesTheRecordAndReportsTheLeftover() throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(35);
    BackupRecord held = records.get(0);
    ObjectKey heldPart = ObjectKey.of(held.parts().get(1).object());
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.equals(heldPart)) {
            throw new DeletionRefusedException(key, "memory://test", "retention policy");
          }
        });

    RetentionReport report =
        new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false).apply(records, NOW);

    assertThat(report.failed()).isFalse();
    assertThat(repo.store.stat(Layout.record(held.kind(), held.id()))).isEmpty();
    assertThat(repo.names()).contains(heldPart.name());
    Removal refused =
        report.removals().stream().filter(r -> r.id().equals(held.id())).findFirst().orElseThrow();
    assertThat(refused.outcome()).isEqualTo(Removal.Outcome.REFUSED);
    assertThat(refused.objects()).isEqualTo(2);
    assertThat(refused.message()).contains("retention policy", "invisible leftovers");
    assertThat(report.leftovers()).isEmpty();
  }

  @Test
  void apply_storeFailsOnADeletion_reportsFailureAndTheNextRunFinishes() throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(35);
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.startsWith(Layout.DATA)) {
            throw new IOException("connection reset");
          }
        });
    RetentionRun run = new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false);

    RetentionReport failed = run.apply(records, NOW);

    assertThat(failed.failed()).isTrue();
    assertThat(failed.removals())
        .allSatisfy(
            r ->
                assertThat(r.message())
                    .contains("unable to delete", "connection reset", "next run removes it"));
    faulty.clear();
    Set<String> left = repo.names();
    List<BackupRecord> listed =
        records.stream()
            .filter(r -> left.contains(Layout.record(r.kind(), r.id()).name()))
            .toList();
    RetentionReport next = run.apply(listed, NOW);

    assertThat(next.failed()).isFalse();
    assertThat(repo.names())
        .isEqualTo(namesOf(records.stream().filter(RetentionRunTest::keptByDefault).toList()));
  }

  @Test
  void apply_liveLease_keepsTheBackupAndExpiredLeaseIsRemovedWithIt() throws IOException {
    List<BackupRecord> records = daily(35);
    BackupRecord reading = records.get(0);
    BackupRecord abandoned = records.get(1);
    Leases.acquire(
        repo.store,
        reading.kind(),
        reading.id(),
        "restore-1",
        "restore",
        Duration.ofHours(6),
        NOW.minus(Duration.ofHours(1)));
    Leases.acquire(
        repo.store,
        abandoned.kind(),
        abandoned.id(),
        "verify-1",
        "verify",
        Duration.ofHours(6),
        NOW.minus(Duration.ofDays(2)));

    RetentionReport report = run(records, false);

    assertThat(repo.names()).containsAll(TestRepository.namesOf(reading));
    assertThat(repo.names())
        .doesNotContainAnyElementsOf(TestRepository.namesOf(abandoned))
        .doesNotContain(Layout.lease(abandoned.kind(), abandoned.id(), "verify-1").name());
    assertThat(report.plans().values().iterator().next().decision(reading.id()).orElseThrow())
        .satisfies(
            d ->
                assertThat(d.reasons())
                    .extracting(Reason::text)
                    .containsExactly(
                        "in use: a restore by 'restore-1' since "
                            + NOW.minus(Duration.ofHours(1))
                            + " (until "
                            + NOW.plus(Duration.ofHours(5))
                            + ")"));
  }

  @Test
  void apply_leaseAppearsAfterThePlan_keepsTheBackup() throws IOException {
    List<BackupRecord> records = daily(32);
    BackupRecord first = records.get(0);
    BackupRecord second = records.get(1);
    FaultInjectingBlobStore leasing = new FaultInjectingBlobStore(repo.store);
    // removals go oldest first; the lease on the second is written while the first is removed,
    // after the plan was made
    leasing.before(
        Operation.DELETE,
        key -> {
          if (key.equals(Layout.record(first.kind(), first.id()))) {
            Leases.acquire(
                repo.store,
                second.kind(),
                second.id(),
                "restore-2",
                "restore",
                Duration.ofHours(1),
                NOW);
          }
        });

    RetentionReport report =
        new RetentionRun(leasing, new RetentionPolicy(0, 30, 0, 0, ZoneOffset.UTC), GRACE, false)
            .apply(records, NOW);

    assertThat(report.removals())
        .extracting(Removal::outcome)
        .containsExactly(Removal.Outcome.REMOVED, Removal.Outcome.KEPT_IN_USE);
    assertThat(report.removals().get(1).message())
        .isEqualTo(
            "a restore by 'restore-2' since "
                + NOW
                + " (until "
                + NOW.plus(Duration.ofHours(1))
                + ") is reading it");
    assertThat(repo.names()).containsAll(TestRepository.namesOf(second));
    assertThat(repo.names()).doesNotContainAnyElementsOf(TestRepository.namesOf(first));
    assertThat(report.kept()).isEqualTo(31);
  }

  @Test
  void apply_onlyAnOldBackupIsVerified_keepsItAsNewestVerified() throws IOException {
    List<BackupRecord> records = daily(100);
    BackupRecord old = records.get(0);
    repo.verification(old, old.startedAt().plus(Duration.ofHours(1)), true);
    BackupRecord withdrawn = records.get(1);
    repo.verification(withdrawn, withdrawn.startedAt().plus(Duration.ofHours(1)), true);
    repo.verification(withdrawn, withdrawn.startedAt().plus(Duration.ofHours(2)), false);

    run(records, false);

    // the newer one's latest verification failed, so the older one is the newest verified
    assertThat(repo.names()).containsAll(TestRepository.namesOf(old));
    assertThat(repo.names()).doesNotContainAnyElementsOf(TestRepository.namesOf(withdrawn));
  }

  @Test
  void apply_policyKeepsNothing_refusesTheGroupDeletesNothingAndFails() throws IOException {
    List<BackupRecord> records = daily(5);
    Set<String> before = repo.names();

    RetentionReport report =
        new RetentionRun(repo.store, new RetentionPolicy(0, 0, 0, 0, ZoneOffset.UTC), GRACE, false)
            .apply(records, NOW);

    assertThat(repo.names()).isEqualTo(before);
    assertThat(report.failed()).isTrue();
    assertThat(report.summary()).contains("refused to empty [db-logical //todo]", "FAILED");
  }

  @Test
  void apply_groupsBySource_eachSourceKeepsItsOwnBackups() throws IOException {
    BackupRecord other =
        repo.backup(BackupKind.DB_LOGICAL, "other", Instant.parse("2025-01-01T02:00:00Z"));
    List<BackupRecord> records = new ArrayList<>(daily(60));
    records.add(other);

    RetentionReport report = run(records, false);

    assertThat(report.plans()).hasSize(2);
    assertThat(repo.names()).containsAll(TestRepository.namesOf(other));
  }

  @Test
  void apply_leftovers_removesOnlyOldUnrecordedBackupsOfKnownKinds() throws IOException {
    List<BackupRecord> records = daily(3);
    BackupRecord young = repo.backup(BackupKind.DAPR, "x", NOW.minus(Duration.ofHours(2)));
    BackupRecord old = repo.backup(BackupKind.DAPR, "x", NOW.minus(Duration.ofDays(3)));
    repo.store.delete(Layout.record(young.kind(), young.id()));
    repo.store.delete(Layout.record(old.kind(), old.id()));
    repo.clock.set(NOW.minus(Duration.ofDays(10)));
    TestRepository.put(
        repo.store, ObjectKey.of("data/unknown-kind/20250101T000000Z-000000/x"), "{}");
    TestRepository.put(repo.store, ObjectKey.of("data/dapr/not-an-id/x"), "{}");

    RetentionReport report = run(records, false);

    assertThat(report.leftovers()).extracting(Removal::id).containsExactly(old.id());
    assertThat(repo.names())
        .containsAll(young.parts().stream().map(p -> p.object()).toList())
        .doesNotContainAnyElementsOf(old.parts().stream().map(p -> p.object()).toList())
        .contains("data/unknown-kind/20250101T000000Z-000000/x", "data/dapr/not-an-id/x")
        .containsAll(namesOf(records));
  }

  @Test
  void apply_writeProbesLeftByWritersWithoutDelete_removesOnlyThoseOlderThanTheGrace()
      throws IOException {
    List<BackupRecord> records = daily(3);
    ObjectKey old = Layout.probe(NOW.minus(Duration.ofDays(2)), "0a0b0c");
    ObjectKey young = Layout.probe(NOW.minus(Duration.ofHours(1)), "0d0e0f");
    repo.clock.set(NOW.minus(Duration.ofDays(2)));
    TestRepository.put(repo.store, old, "write probe");
    repo.clock.set(NOW.minus(Duration.ofHours(1)));
    TestRepository.put(repo.store, young, "write probe");

    RetentionReport dry = run(records, true);
    assertThat(repo.names()).contains(old.name(), young.name());

    RetentionReport report = run(records, false);

    assertThat(dry.failed()).isFalse();
    assertThat(report.failed()).isFalse();
    assertThat(repo.names())
        .doesNotContain(old.name())
        .contains(young.name())
        .containsAll(namesOf(records));
  }

  @Test
  void apply_probeDeletionRefusedOrFailing_keepsTheProbeAndFailsNothing() throws IOException {
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    List<BackupRecord> records = daily(3);
    ObjectKey locked = Layout.probe(NOW.minus(Duration.ofDays(3)), "0a0b0c");
    ObjectKey unreachable = Layout.probe(NOW.minus(Duration.ofDays(2)), "0d0e0f");
    repo.clock.set(NOW.minus(Duration.ofDays(3)));
    TestRepository.put(repo.store, locked, "write probe");
    TestRepository.put(repo.store, unreachable, "write probe");
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.equals(locked)) {
            throw new DeletionRefusedException(key, "memory://test", "retention policy");
          }
          if (key.equals(unreachable)) {
            throw new IOException("connection reset");
          }
        });

    RetentionReport report =
        new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false).apply(records, NOW);

    assertThat(report.failed()).isFalse();
    assertThat(repo.names()).contains(locked.name(), unreachable.name());
    faulty.clear();
    new RetentionRun(faulty, RetentionPolicy.DEFAULT, GRACE, false).apply(records, NOW);
    assertThat(repo.names()).doesNotContain(locked.name(), unreachable.name());
  }

  @Test
  void apply_listener_hearsOfEveryDeletionAndNothingInADryRun() throws IOException {
    List<BackupRecord> records = daily(35);
    BackupRecord leftover = repo.backup(BackupKind.DAPR, "x", NOW.minus(Duration.ofDays(3)));
    repo.store.delete(Layout.record(leftover.kind(), leftover.id()));
    List<Removal> heard = new ArrayList<>();
    RetentionRun dry = new RetentionRun(repo.store, RetentionPolicy.DEFAULT, GRACE, true);
    RetentionRun real = new RetentionRun(repo.store, RetentionPolicy.DEFAULT, GRACE, false);

    dry.apply(records, NOW, heard::add);
    assertThat(heard).isEmpty();
    RetentionReport report = real.apply(records, NOW, heard::add);

    assertThat(heard).hasSize(6).containsAll(report.removals()).containsAll(report.leftovers());
  }

  @Test
  void apply_listenerFails_stopsBeforeTheNextRemoval() throws IOException {
    List<BackupRecord> records = daily(35);
    RetentionRun run = new RetentionRun(repo.store, RetentionPolicy.DEFAULT, GRACE, false);

    assertThatThrownBy(
            () ->
                run.apply(
                    records,
                    NOW,
                    r -> {
                      throw new IOException("unable to store audit event");
                    }))
        .hasMessage("unable to store audit event");

    assertThat(records.subList(1, 5))
        .allSatisfy(r -> assertThat(repo.names()).containsAll(TestRepository.namesOf(r)));
  }

  @Test
  void newRun_negativeGrace_fails() {
    assertThatThrownBy(
            () ->
                new RetentionRun(repo.store, RetentionPolicy.DEFAULT, Duration.ofHours(-1), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("grace period must not be negative, got PT-1H");
  }
}
