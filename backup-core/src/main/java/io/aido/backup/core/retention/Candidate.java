package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupRecord;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/**
 * One complete backup as the retention policy sees it.
 *
 * @param id the backup's id
 * @param time the backup's time: when it started, which is the moment its data describes
 * @param verified whether a verification found it good
 * @param inUse whether a restore or a verification holds a live lease on it
 */
public record Candidate(BackupId id, Instant time, boolean verified, boolean inUse) {

  /** Newest first; equal times are ordered by id, newest id first, so the order is total. */
  public static final Comparator<Candidate> NEWEST_FIRST =
      Comparator.comparing(Candidate::time).thenComparing(Candidate::id).reversed();

  public Candidate {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
  }

  /** The candidate for a committed record. */
  public static Candidate of(BackupRecord record, boolean verified, boolean inUse) {
    return new Candidate(record.id(), record.startedAt(), verified, inUse);
  }
}
