package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RetentionRun} on a real store, checked object by object. Objects carry the store's own
 * creation time (about now), while the records carry backup times up to 40 days back, so the runs
 * here use {@code now} = the real time, and "the next day's run" uses a {@code now} a day later.
 */
abstract class RetentionRunStoreContract {
  private static final Duration GRACE = RetentionRun.DEFAULT_GRACE;

  /** Enough for 30 dailies and two or three monthlies, few enough for a fast test. */
  private static final int DAYS = 40;

  private TestRepository repo;
  private Instant now;

  protected abstract BlobStore newStore() throws IOException;

  @BeforeEach
  void setUp() throws IOException {
    repo = new TestRepository(newStore());
    now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  /** One backup a day, one hour before {@code now} and then a day apart, newest first. */
  private List<BackupRecord> daily(int days) throws IOException {
    List<BackupRecord> newestFirst = new ArrayList<>();
    for (int i = 0; i < days; i++) {
      Instant start = now.minus(Duration.ofDays(i)).minus(Duration.ofHours(1));
      newestFirst.add(repo.backup(BackupKind.DB_LOGICAL, "todo", start));
    }
    return newestFirst;
  }

  /**
   * With one backup per calendar day, the default policy keeps the 30 newest and the newest of each
   * of the 12 newest months.
   */
  private static Set<String> keptByDefault(List<BackupRecord> newestFirst) {
    Set<BackupRecord> kept = new HashSet<>(newestFirst.subList(0, 30));
    Set<YearMonth> months = new HashSet<>();
    for (BackupRecord r : newestFirst) {
      YearMonth month = YearMonth.from(r.startedAt().atZone(ZoneOffset.UTC));
      if (months.size() < 12 && months.add(month)) {
        kept.add(r);
      }
    }
    Set<String> names = new TreeSet<>();
    kept.forEach(r -> names.addAll(TestRepository.namesOf(r)));
    return names;
  }

  private RetentionRun run(BlobStore store, boolean dryRun) {
    return new RetentionRun(store, RetentionPolicy.DEFAULT, GRACE, dryRun);
  }

  @Test
  void apply_40DailyBackups_leavesExactlyTheKeptBackups() throws IOException {
    List<BackupRecord> records = daily(DAYS);

    RetentionReport report = run(repo.store, false).apply(records, now);

    assertThat(repo.names()).isEqualTo(keptByDefault(records));
    assertThat(report.removed()).isEqualTo(DAYS - keptByDefault(records).size() / 3);
    assertThat(report.failed()).isFalse();
  }

  @Test
  void apply_dryRun_deletesNothing() throws IOException {
    List<BackupRecord> records = daily(DAYS);
    Set<String> before = repo.names();

    RetentionReport report = run(repo.store, true).apply(records, now);

    assertThat(repo.names()).isEqualTo(before);
    assertThat(report.removed()).isEqualTo(DAYS - keptByDefault(records).size() / 3);
  }

  @Test
  void apply_crashAfterRecordDeletion_leavesNothingVisibleAndTheNextDaysRunFinishes()
      throws IOException {
    List<BackupRecord> records = daily(DAYS);
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(repo.store);
    faulty.before(
        Operation.DELETE,
        key -> {
          if (key.startsWith(Layout.DATA)) {
            throw new IllegalStateException("injected crash before deleting " + key);
          }
        });

    assertThatThrownBy(() -> run(faulty, false).apply(records, now))
        .hasMessageStartingWith("injected crash");

    BackupRecord oldest = records.get(DAYS - 1);
    assertThat(repo.names())
        .doesNotContain(Layout.record(oldest.kind(), oldest.id()).name())
        .contains(oldest.parts().get(0).object());
    List<BackupRecord> listed = new ArrayList<>(records.subList(0, DAYS - 1));
    faulty.clear();

    RetentionReport sameDay = run(faulty, false).apply(listed, now);
    assertThat(sameDay.leftovers()).as("leftovers younger than the grace period stay").isEmpty();
    Set<String> kept = keptByDefault(records);
    assertThat(repo.names()).containsAll(kept).contains(oldest.parts().get(0).object());

    RetentionReport nextDay = run(faulty, false).apply(listed, now.plus(Duration.ofHours(25)));

    assertThat(nextDay.leftovers()).extracting(Removal::id).containsExactly(oldest.id());
    assertThat(repo.names()).isEqualTo(kept);
  }
}
