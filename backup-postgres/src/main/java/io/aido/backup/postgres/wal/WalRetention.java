package io.aido.backup.postgres.wal;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which archived WAL retention may remove: every segment that ends at or before the start of the
 * oldest kept base backup (no recovery can begin earlier), and partial segments that a whole
 * segment or a longer partial supersedes. With no kept base backup nothing is removed: the WAL is
 * then the only copy of recent changes a future base backup cannot replace.
 *
 * <p>{@link #plan} is a pure function of the kept {@code db-base} records and the archive's object
 * names; {@link #apply} deletes what the plan says, reporting (not failing on) refusals by the
 * store.
 *
 * <pre>{@code
 * WalRetention.Plan plan = WalRetention.plan(store, keptBaseRecords);
 * WalRetention.Result result = WalRetention.apply(store, plan, false);
 * }</pre>
 */
public final class WalRetention {
  private WalRetention() {}

  /**
   * What to remove and why.
   *
   * @param oldestNeeded the start of the oldest kept base backup, empty if none is kept
   * @param remove the objects to remove, in order
   * @param reason a sentence for the report
   */
  public record Plan(Optional<Lsn> oldestNeeded, List<ArchivedWal> remove, String reason) {}

  /**
   * What {@link #apply} did.
   *
   * @param removed objects deleted (or, in a dry run, that would be)
   * @param bytes their stored size
   * @param refused objects the store refused to delete, with its message
   */
  public record Result(int removed, long bytes, List<String> refused) {}

  /**
   * The segment size recorded in base backups, or PostgreSQL's default when there is none.
   *
   * @throws IllegalArgumentException if a base backup's facts do not read
   */
  public static long segmentSize(Collection<BackupRecord> baseBackups) {
    return baseBackups.stream()
        .filter(r -> r.kind() == BackupKind.DB_BASE)
        .map(r -> BaseBackupFacts.of(r).walSegmentSize())
        .findFirst()
        .orElse(WalSegment.DEFAULT_SIZE);
  }

  /**
   * The start of the oldest of {@code records}' base backups; empty if there is none.
   *
   * @throws IllegalArgumentException if a base backup's facts do not read
   */
  static Optional<Lsn> oldestStart(Collection<BackupRecord> records) {
    return records.stream()
        .filter(r -> r.kind() == BackupKind.DB_BASE)
        .map(r -> BaseBackupFacts.of(r).startLsn())
        .min(Comparator.naturalOrder());
  }

  /**
   * The plan for the archive in {@code reader} given the base backups retention keeps; lists the
   * archive with the segment size the base backups recorded.
   *
   * @throws IOException if the archive cannot be listed
   */
  public static Plan plan(BlobReader reader, Collection<BackupRecord> keptBaseBackups)
      throws IOException {
    long segmentSize;
    try {
      segmentSize = segmentSize(keptBaseBackups);
    } catch (IllegalArgumentException e) {
      return keepAll(e);
    }
    return plan(keptBaseBackups, WalArchive.list(reader, segmentSize));
  }

  /** A kept base backup whose WAL range does not read: nothing can be known to be expendable. */
  private static Plan keepAll(IllegalArgumentException unreadable) {
    return new Plan(
        Optional.empty(), List.of(), unreadable.getMessage() + ": archived WAL is kept, all of it");
  }

  /**
   * The plan for the archive {@code wal} given the base backups retention keeps.
   *
   * @param keptBaseBackups the {@code db-base} records that stay (others are ignored)
   */
  public static Plan plan(Collection<BackupRecord> keptBaseBackups, List<ArchivedWal> wal) {
    WalChain chain = WalChain.of(wal);
    Optional<Lsn> oldest;
    try {
      oldest = oldestStart(keptBaseBackups);
    } catch (IllegalArgumentException e) {
      return keepAll(e);
    }
    if (oldest.isEmpty()) {
      List<ArchivedWal> superseded = chain.superseded();
      return new Plan(
          oldest,
          superseded,
          "no base backup is kept: archived WAL is kept, except "
              + superseded.size()
              + " superseded partial segment(s)");
    }
    List<ArchivedWal> remove = chain.expendable(oldest.get());
    return new Plan(
        oldest,
        remove,
        "WAL before "
            + oldest.get()
            + " (the start of the oldest kept base backup) and superseded partial segments expire:"
            + " "
            + remove.size()
            + " object(s)");
  }

  /** Deletes what {@code plan} names (nothing when {@code dryRun}). */
  public static Result apply(BlobStore store, Plan plan, boolean dryRun) throws IOException {
    Map<String, Long> sizes =
        plan.remove().isEmpty()
            ? Map.of()
            : store.list(io.aido.backup.core.catalog.Layout.WAL).stream()
                .collect(Collectors.toMap(i -> i.key().name(), ObjectInfo::size, (a, b) -> a));
    int removed = 0;
    long bytes = 0;
    List<String> refused = new ArrayList<>();
    for (ArchivedWal w : plan.remove()) {
      long size = sizes.getOrDefault(w.key().name(), 0L);
      if (!dryRun) {
        try {
          store.delete(w.key());
        } catch (DeletionRefusedException e) {
          refused.add(e.getMessage());
          continue;
        }
      }
      removed++;
      bytes += size;
    }
    return new Result(removed, bytes, refused);
  }
}
