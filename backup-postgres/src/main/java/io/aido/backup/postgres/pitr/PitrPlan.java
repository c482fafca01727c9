package io.aido.backup.postgres.pitr;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.BaseBackupFacts;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * What a point-in-time restore does, decided before anything is written: which base backup, which
 * archived WAL recovery reads, and the recovery settings. A function of the target, the catalog's
 * {@code db-base} records and the archive's object names (plus, for a time, when the newest needed
 * segment was stored); it needs no server, key or data directory.
 *
 * <p>Guarantees: a plan exists only if the WAL from the base backup's end reaches the target
 * without a gap (for a time: the archive stored its newest segment after the target, for {@code
 * --latest}: the chain reaches the archive's end on the backup's timeline).
 *
 * <pre>{@code
 * PitrPlan plan = PitrPlan.make(PitrPlan.Target.time(t), null, bases, archive);
 * String settings = plan.recoverySettings(walDir, "promote");
 * }</pre>
 *
 * @param target what to restore to
 * @param base the base backup to start from
 * @param facts its facts
 * @param wal the archived WAL recovery reads, in order
 */
public record PitrPlan(
    Target target, BackupRecord base, BaseBackupFacts facts, List<ArchivedWal> wal) {
  /** Microseconds at most, as PostgreSQL reads a timestamp. */
  private static final DateTimeFormatter PG_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);

  public PitrPlan {
    wal = List.copyOf(wal);
  }

  /**
   * The moment to restore to: a time, a WAL position, or (both null) the end of the archived WAL.
   */
  public record Target(Instant time, Lsn lsn) {
    public static Target time(Instant time) {
      return new Target(time, null);
    }

    public static Target lsn(Lsn lsn) {
      return new Target(null, lsn);
    }

    public static Target latest() {
      return new Target(null, null);
    }

    /** For messages: {@code time 2026-...}, {@code WAL position 0/...}, or the archive's end. */
    public String describe() {
      if (time != null) {
        return "time " + time;
      }
      if (lsn != null) {
        return "WAL position " + lsn;
      }
      return "the end of the archived WAL";
    }
  }

  /** The archive as the plan reads it: object names and when an object was stored. */
  public interface Archive {
    /** Every archived WAL object, for a cluster of {@code segmentSize}. */
    List<ArchivedWal> list(long segmentSize) throws IOException;

    /** When {@code wal} was stored (from its header). */
    Instant archivedAt(ArchivedWal wal) throws IOException;

    /** The repository's archive. */
    static Archive of(WalArchive archive) {
      return new Archive() {
        @Override
        public List<ArchivedWal> list(long segmentSize) throws IOException {
          return archive.list(segmentSize);
        }

        @Override
        public Instant archivedAt(ArchivedWal wal) throws IOException {
          return archive.header(wal.key()).archivedAt();
        }
      };
    }
  }

  /**
   * The plan for {@code target}.
   *
   * @param backupId the base backup to use, or null for the newest that ended before the target
   * @param bases the catalog's {@code db-base} records, oldest first
   * @throws JobException (usage) if there is no such base backup; (failure) if a record's facts do
   *     not read or the archived WAL does not reach the target
   * @throws IOException if the archive cannot be read
   */
  public static PitrPlan make(
      Target target, String backupId, List<BackupRecord> bases, Archive archive)
      throws JobException, IOException {
    BackupRecord base = chooseBase(target, backupId, bases);
    BaseBackupFacts facts = factsOf(base);
    return new PitrPlan(target, base, facts, neededWal(target, base, facts, archive));
  }

  /** The base backup's facts; a record without them cannot be restored from. */
  static BaseBackupFacts factsOf(BackupRecord r) throws JobException {
    try {
      return BaseBackupFacts.of(r);
    } catch (IllegalArgumentException e) {
      throw JobException.failed(
          "base backup " + r.id() + " has no readable WAL range in its record: " + e.getMessage(),
          e);
    }
  }

  private static BackupRecord chooseBase(Target target, String backupId, List<BackupRecord> all)
      throws JobException {
    if (backupId != null) {
      return all.stream()
          .filter(r -> r.id().value().equals(backupId))
          .findFirst()
          .orElseThrow(
              () ->
                  JobException.badInput(
                      "unable to restore missing base backup " + backupId + ": no such db-base"));
    }
    BackupRecord chosen = null;
    for (BackupRecord r : all) {
      boolean before =
          target.time() != null
              ? !r.finishedAt().isAfter(target.time())
              : target.lsn() == null || !factsOf(r).stopLsn().isAfter(target.lsn());
      if (before) {
        chosen = r;
      }
    }
    if (chosen == null) {
      throw JobException.badInput(
          "unable to restore to "
              + target.describe()
              + ": "
              + (all.isEmpty()
                  ? "the repository holds no db-base backup (run base-backup)"
                  : "the oldest base backup, " + all.get(0).id() + ", ended after it"));
    }
    return chosen;
  }

  /** The archived WAL recovery reads, after checking the chain reaches the target. */
  private static List<ArchivedWal> neededWal(
      Target target, BackupRecord base, BaseBackupFacts facts, Archive archive)
      throws IOException, JobException {
    WalChain chain = WalChain.of(archive.list(facts.walSegmentSize()));
    WalSegment first =
        WalSegment.containing(facts.timeline(), facts.stopLsn(), facts.walSegmentSize());
    List<ArchivedWal> run = chain.runFrom(first);
    Lsn reach = run.isEmpty() ? facts.stopLsn() : run.get(run.size() - 1).end();
    Lsn archiveEnd = chain.end(facts.timeline()).orElse(facts.stopLsn());
    String prefix = "unable to restore to " + target.describe() + " from base backup " + base.id();
    if (target.lsn() != null) {
      if (reach.isBefore(target.lsn())) {
        throw JobException.failed(
            prefix
                + ": the archived WAL reaches only "
                + reach
                + (archiveEnd.isAfter(reach)
                    ? " (point-in-time recovery is impossible between "
                        + reach
                        + " and "
                        + nextAfter(chain, facts.timeline(), reach)
                        + ")"
                    : " (run wal-archive first)")
                + "; nothing was restored",
            null);
      }
      return run.stream().filter(w -> w.segment().start().isBefore(target.lsn())).toList();
    }
    if (archiveEnd.isAfter(reach)) {
      throw JobException.failed(
          prefix
              + ": point-in-time recovery is impossible between "
              + reach
              + " and "
              + nextAfter(chain, facts.timeline(), reach)
              + " (WAL missing from the archive), so recovery would stop before the target;"
              + " nothing was restored",
          null);
    }
    if (target.time() != null) {
      if (run.isEmpty()) {
        throw JobException.failed(
            prefix + ": no WAL after the base backup is archived (run wal-archive first)", null);
      }
      Instant last = archive.archivedAt(run.get(run.size() - 1));
      if (last.isBefore(target.time())) {
        throw JobException.failed(
            prefix
                + ": the newest archived WAL was stored at "
                + last
                + ", before the target, so the archive may not reach it; run wal-archive and"
                + " try again; nothing was restored",
            null);
      }
    }
    return run;
  }

  private static Lsn nextAfter(WalChain chain, int timeline, Lsn reach) {
    return chain.segments(timeline).stream()
        .map(w -> w.segment().start())
        .filter(s -> s.isAfter(reach))
        .findFirst()
        .orElse(reach);
  }

  /** Where recovery's WAL ends: the last fetched segment's end, or the base backup's stop. */
  public Lsn walEnd() {
    return wal.isEmpty() ? facts.stopLsn() : wal.get(wal.size() - 1).end();
  }

  /**
   * The lines appended to {@code postgresql.auto.conf}: {@code restore_command} copying from {@code
   * walDir}, the target, its timeline and {@code recovery_target_action}.
   */
  public String recoverySettings(Path walDir, String targetAction) {
    StringBuilder conf = new StringBuilder("\n# point-in-time recovery, written by restore-pitr\n");
    conf.append("restore_command = '")
        .append(escape("cp \"" + walDir + "/%f\" \"%p\""))
        .append("'\n");
    if (target.time() != null) {
      conf.append("recovery_target_time = '").append(PG_TIME.format(target.time())).append("'\n");
    } else if (target.lsn() != null) {
      conf.append("recovery_target_lsn = '").append(target.lsn()).append("'\n");
    }
    conf.append("recovery_target_timeline = '").append(facts.timeline()).append("'\n");
    conf.append("recovery_target_action = '").append(targetAction).append("'\n");
    return conf.toString();
  }

  private static String escape(String s) {
    return s.replace("'", "''");
  }
}
