package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job as a user runs it: {@code retention apply} against a {@code file://} repository whose
 * backups were committed through the real {@link Repository}, checked object by object afterwards.
 * Skipped, saying so, while the catalog or the URL-to-store wiring is missing from the branch.
 */
class ApplyCommandIT {
  private static final int DAYS = 40;

  @TempDir Path root;
  private BlobStore store;
  private Instant now;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() throws IOException {
    store = new LocalBlobStore(root);
    now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    try {
      new Catalog(store).list(null);
    } catch (UnsupportedOperationException e) {
      Assumptions.abort("skipped: the catalog is not implemented on this branch yet");
    }
  }

  private int retention(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of(
            "--storage-url",
            root.toUri().toString(),
            "--log-format",
            "text",
            "--now",
            now.toString()));
    JobContext context =
        new JobContext(
            Environment.of(Map.of()),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    int code = new Main().execute(context, all.toArray(String[]::new));
    if (err.toString(StandardCharsets.UTF_8).contains("no storage backend available")) {
      Assumptions.abort("skipped: --storage-url is not wired to a store on this branch yet");
    }
    return code;
  }

  /** Commits {@code record} through the repository, as a backup job does. */
  private void commit(BackupRecord record) throws IOException {
    Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC())
        .commit(record);
  }

  /** One backup a day, newest first, each with two parts, committed through the catalog. */
  private List<BackupRecord> daily(int days) throws IOException {
    List<BackupRecord> newestFirst = new ArrayList<>();
    for (int i = 0; i < days; i++) {
      Instant start = now.minus(Duration.ofDays(i)).minus(Duration.ofHours(1));
      BackupId id = BackupId.generate(start, new java.util.Random(i));
      List<PartRecord> parts = new ArrayList<>();
      for (String name : List.of("todo.dump", "globals.sql")) {
        ObjectKey key = Layout.part(BackupKind.DB_LOGICAL, id, name);
        ObjectInfo info = store.create(key, new ByteArrayInputStream(new byte[100]));
        parts.add(new PartRecord(name, key.name(), info.size(), 100, "0".repeat(64), "zstd"));
      }
      BackupRecord record =
          new BackupRecord(
              BackupRecord.FORMAT,
              id,
              BackupKind.DB_LOGICAL,
              Source.database("todo", "15.8"),
              "test",
              start,
              start.plus(Duration.ofMinutes(1)),
              BackupRecord.COMPLETE,
              parts,
              new WrappedDataKey("test-kek", "AES256_GCM_HKDF_1MB", "AAAA"),
              Map.of());
      commit(record);
      newestFirst.add(record);
    }
    return newestFirst;
  }

  private static Set<BackupId> keptByDefault(List<BackupRecord> newestFirst) {
    Set<BackupId> kept = new HashSet<>();
    newestFirst.subList(0, 30).forEach(r -> kept.add(r.id()));
    Set<YearMonth> months = new HashSet<>();
    for (BackupRecord r : newestFirst) {
      if (months.size() < 12 && months.add(YearMonth.from(r.startedAt().atZone(ZoneOffset.UTC)))) {
        kept.add(r.id());
      }
    }
    return kept;
  }

  private Set<String> names(String prefix) throws IOException {
    return store.list(prefix).stream()
        .map(o -> o.key().name())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> namesOf(List<BackupRecord> records) {
    Set<String> names = new TreeSet<>();
    for (BackupRecord r : records) {
      names.add(Layout.record(r.kind(), r.id()).name());
      r.parts().forEach(p -> names.add(p.object()));
    }
    return names;
  }

  /**
   * Six daily base backups, base i starting in WAL segment 10 * (6 - i) (newest first), and every
   * WAL segment from 1 to 65 archived.
   */
  private List<BackupRecord> basesWithWal() throws IOException {
    List<BackupRecord> newestFirst = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Instant start = now.minus(Duration.ofDays(i)).minus(Duration.ofHours(1));
      BackupId id = BackupId.generate(start, new java.util.Random(100 + i));
      ObjectKey key = Layout.part(BackupKind.DB_BASE, id, "base.tar");
      ObjectInfo info = store.create(key, new ByteArrayInputStream(new byte[100]));
      long segno = 10L * (6 - i);
      BackupRecord record =
          new BackupRecord(
              BackupRecord.FORMAT,
              id,
              BackupKind.DB_BASE,
              new Source(null, null, null, "15.8", Map.of()),
              "test",
              start,
              start.plus(Duration.ofMinutes(1)),
              BackupRecord.COMPLETE,
              List.of(
                  new PartRecord("base.tar", key.name(), info.size(), 100, "0".repeat(64), "zstd")),
              new WrappedDataKey("test-kek", "AES256_GCM_HKDF_1MB", "AAAA"),
              baseFacts(new WalSegment(1, segno, 16L << 20).start().plus(40)));
      commit(record);
      newestFirst.add(record);
    }
    for (long segno = 1; segno <= 65; segno++) {
      store.create(
          ArchivedWal.keyOf(new WalSegment(1, segno, 16L << 20)),
          new ByteArrayInputStream(new byte[10]));
    }
    return newestFirst;
  }

  @Test
  void apply_walBeforeOldestKeptBaseBackup_removed_restKept() throws IOException {
    basesWithWal();
    // keeps the two newest bases: they start in segments 60 and 50
    assertThat(retention("apply", "--keep-daily", "2", "--keep-monthly", "0", "--dry-run"))
        .isZero();
    assertThat(names("wal/")).hasSize(65);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("wal: ").contains("would remove 49");
    assertThat(retention("apply", "--keep-daily", "2", "--keep-monthly", "0")).isZero();
    assertThat(names("wal/"))
        .hasSize(16)
        .first()
        .isEqualTo("wal/00000001/000000010000000000000032");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("removed 49 object(s)");
    List<String> audits = new ArrayList<>();
    for (String name : names("audit/")) {
      try (java.io.InputStream in = store.open(ObjectKey.of(name))) {
        audits.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    assertThat(audits).anyMatch(a -> a.contains("keptFrom") && a.contains("49"));
  }

  @Test
  void apply_removesExpiredBackupsObjectByObjectAndAuditsEach() throws IOException {
    List<BackupRecord> records = daily(DAYS);
    Set<BackupId> kept = keptByDefault(records);
    List<BackupRecord> keptRecords = records.stream().filter(r -> kept.contains(r.id())).toList();

    int code = retention("apply");

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    Set<String> all = names("");
    all.removeIf(n -> n.startsWith(Layout.AUDIT) || n.equals(Layout.format().name()));
    assertThat(all).isEqualTo(namesOf(keptRecords));
    assertThat(new Catalog(store).list(null))
        .extracting(BackupRecord::id)
        .containsExactlyInAnyOrderElementsOf(kept);
    assertThat(names(Layout.AUDIT)).hasSize(DAYS - kept.size());
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("kept " + kept.size() + ", removed " + (DAYS - kept.size()) + " backups");
  }

  @Test
  void apply_dryRun_deletesNothing() throws IOException {
    List<BackupRecord> records = daily(DAYS);
    Set<String> before = names("");

    int code = retention("apply", "--dry-run");

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(names("")).isEqualTo(before);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("dry run: kept " + keptByDefault(records).size() + ", would remove");
  }

  @Test
  void apply_policyWouldRemoveEverything_exits1AndDeletesNothing() throws IOException {
    daily(5);
    Set<String> before = names("");

    int code = retention("apply", "--keep-daily", "0", "--keep-monthly", "0");

    assertThat(code).isEqualTo(1);
    assertThat(names("")).isEqualTo(before);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("refused to empty [db-logical //todo]");
  }

  private static Map<String, Object> baseFacts(Lsn start) {
    return new BaseBackupFacts(
            "base.tar",
            start,
            start.plus(0xd8),
            1,
            WalSegment.containing(1, start, 16L << 20).name(),
            16L << 20,
            "7303000000000000001",
            null,
            null,
            "15.8",
            "pg_basebackup (PostgreSQL) 15.8")
        .toFacts();
  }
}
