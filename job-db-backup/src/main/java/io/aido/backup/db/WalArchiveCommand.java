package io.aido.backup.db;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.CompressionOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.observability.ByteSizes;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code wal-archive}: streams the server's WAL over the replication protocol into the repository,
 * one object per segment, so that a base backup can be rolled forward to any moment.
 *
 * <p>How a run goes: check the server can stream (wal_level, max_wal_senders, the REPLICATION
 * attribute, the pg_hba replication line, the slot's state); create the physical slot on first use;
 * start at the first segment the archive does not hold whole (or, on a first run, at the slot's
 * position); store every finished segment, tell the server each one is safely stored (the slot then
 * lets it go), and on reaching the position the server had flushed when the run started, store what
 * there is of the current segment as a partial and exit. With {@code --follow} it keeps going,
 * storing a partial every {@code --partial-interval}, until stopped (SIGTERM stores the partial
 * first), and pushes its metrics every {@code --metrics-interval} while it runs, not only at the
 * end.
 *
 * <p>Metrics: {@code backup_wal_archive_lag_bytes} (WAL the server has flushed that the archive
 * does not hold), {@code backup_wal_archive_end_lsn}, {@code
 * backup_wal_archive_last_stored_timestamp_seconds} (when this run last stored an object) and
 * {@code backup_wal_archive_archived_through_timestamp_seconds} (every byte the server had flushed
 * at that moment is stored: the recovery point, see {@link ArchivedThrough}).
 *
 * <p>Why a rerun after a crash leaves no gap: the server is told a segment is stored only after its
 * object is complete, and partials are never acknowledged, so the slot keeps every byte the archive
 * does not hold whole. A rerun streams again from the first segment not held whole; a segment
 * stored before the crash but not acknowledged is found identical and kept.
 */
@Command(
    name = "wal-archive",
    description = {
      "Archive the server's write-ahead log over the replication protocol (a physical replication"
          + " slot, created on first run) into the repository, compressed and encrypted, one"
          + " object per segment plus the current partial segment, then exit; run it every few"
          + " minutes from a CronJob, or keep it running with --follow.",
      "Needs wal_level = replica, max_wal_senders >= 1, a replication line in pg_hba.conf and a"
          + " role with REPLICATION. Connection from PGHOST, PGPORT, PGUSER and PGPASSWORD."
    })
public final class WalArchiveCommand extends DbCommand {
  private static final Logger LOG = LoggerFactory.getLogger(WalArchiveCommand.class);

  @Mixin private RepositoryOptions repository;

  @Mixin private CompressionOptions compression = new CompressionOptions();

  @Option(
      names = "--slot",
      paramLabel = "NAME",
      defaultValue = "aido_backup_wal",
      description = "The physical replication slot to stream from (default ${DEFAULT-VALUE}).")
  private String slot;

  @Option(
      names = "--follow",
      description = "Keep streaming until stopped instead of exiting once caught up.")
  private boolean follow;

  @Option(
      names = "--partial-interval",
      paramLabel = "DURATION",
      defaultValue = "PT10S",
      description =
          "With --follow: store the current partial segment this often when it grew (ISO-8601,"
              + " default ${DEFAULT-VALUE}).")
  private Duration partialInterval;

  @Option(
      names = "--metrics-interval",
      paramLabel = "DURATION",
      defaultValue = "PT1M",
      description =
          "With --follow: push the lag and the last stored segment's time to the Pushgateway this"
              + " often while running (ISO-8601, default ${DEFAULT-VALUE}).")
  private Duration metricsInterval;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "PT2M",
      description =
          "Fail when the server sends nothing for this long while WAL is still expected"
              + " (default ${DEFAULT-VALUE}).")
  private Duration idleTimeout;

  @Option(
      names = "--spool-dir",
      paramLabel = "DIR",
      description =
          "Where the segment being received is kept until it is stored (default the system's"
              + " temporary directory); needs room for two segments.")
  private Path spoolDir;

  @Override
  protected void validateCommand(ConfigProblems problems) {
    if (slot == null || !slot.matches("[a-z0-9_]{1,63}")) {
      problems.add(
          EnvironmentDefaults.describe("--slot"),
          "'" + slot + "' is not a slot name (lower-case letters, digits and _, up to 63)");
    }
    if (partialInterval.isNegative() || partialInterval.isZero()) {
      problems.add(EnvironmentDefaults.describe("--partial-interval"), "must be positive");
    }
    if (metricsInterval.isNegative() || metricsInterval.isZero()) {
      problems.add(EnvironmentDefaults.describe("--metrics-interval"), "must be positive");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      problems.add(EnvironmentDefaults.describe("--idle-timeout"), "must be positive");
    }
    if (spoolDir != null && !Files.isDirectory(spoolDir)) {
      problems.add(
          EnvironmentDefaults.describe("--spool-dir"), "'" + spoolDir + "' is not a directory");
    }
  }

  @Override
  protected int run() throws Exception {
    PitrServer server = PitrServer.read(pg());
    server.checkReplicationPossible(pg().server(), pg().user());
    KeyEncryptionKey kek = repository.kek();
    Repository repo =
        openRepositoryToWrite(repository.openStore(), compression.pipelineSettings(), kek);
    RunKey key = RunKey.of(kek);
    WalArchive archive = new WalArchive(repo.store(), repo.pipeline());
    long segmentSize = server.walSegmentSize();
    int timeline = server.timeline();

    WalChain chain;
    try {
      chain = WalChain.of(archive.list(segmentSize));
    } catch (IOException e) {
      throw JobException.failed("unable to list the archived WAL: " + e.getMessage(), e);
    }
    checkSameCluster(archive, chain, server);
    Lsn slotStart = new ReplicationSlot(pg(), slot).ensure();
    WalSegment first = firstSegment(chain, slotStart, timeline, segmentSize);
    Lsn target = server.flushLsn();
    Path spool = spoolDir != null ? spoolDir : Paths.get(System.getProperty("java.io.tmpdir"));
    WalReceiver receiver =
        new WalReceiver(
            pg(),
            slot,
            archive,
            chain,
            first,
            server.systemIdentifier(),
            key.dataKey(),
            key.wrapped(),
            spool,
            clock(),
            idleTimeout);
    Instant started = clock().instant();
    ArchivedThrough through = new ArchivedThrough();
    through.serverAt(started, target);
    WalReceiver.Result result = follow ? follow(receiver, through) : receiver.catchUp(target);
    Lsn serverNow = PitrServer.read(pg()).flushLsn();
    long behind = Math.max(0, serverNow.minus(result.end()));
    setWalMetrics(receiver.progress(), behind, through);
    metrics()
        .gauge("backup_wal_archive_stored_bytes", "bytes this run stored", result.storedBytes());
    out()
        .printf(
            "archived WAL of server '%s' on timeline %d from %s to %s: %d whole segment(s)%s,"
                + " %s stored in %s; the server is at %s, %s not yet archived%n",
            pg().server(),
            timeline,
            first.start(),
            result.end(),
            result.wholeSegments(),
            result.partial() == null ? "" : " and partial " + result.partial().key().fileName(),
            ByteSizes.human(result.storedBytes()),
            Elapsed.seconds(Duration.between(started, clock().instant())),
            serverNow,
            ByteSizes.human(behind));
    return ExitCodes.DONE;
  }

  /**
   * One data key for the run's segments, and it wrapped (one KMS call per run, not per segment).
   */
  private record RunKey(DataKey dataKey, WrappedDataKey wrapped) {
    /** Wraps and at once unwraps again, so a key that cannot unwrap fails before streaming. */
    static RunKey of(KeyEncryptionKey kek) throws JobException {
      try {
        DataKey dataKey = DataKey.generate();
        WrappedDataKey wrapped = dataKey.wrap(kek);
        DataKey.unwrap(wrapped, kek);
        return new RunKey(dataKey, wrapped);
      } catch (GeneralSecurityException e) {
        throw JobException.failed(
            "unable to use key-encryption key '" + kek.id() + "': " + e.getMessage(), e);
      }
    }
  }

  /**
   * Where this run starts: after the newest segment archived whole, or where the slot starts when
   * the archive holds nothing (or the server no longer holds the WAL after it: then a gap, warned
   * about).
   */
  private WalSegment firstSegment(WalChain chain, Lsn slotStart, int timeline, long segmentSize) {
    WalSegment slotSegment = WalSegment.containing(timeline, slotStart, segmentSize);
    WalSegment first = chain.newestWhole(timeline).map(WalSegment::next).orElse(slotSegment);
    if (slotSegment.segno() > first.segno()) {
      String gap =
          "point-in-time recovery is impossible between " + first.start() + " and " + slotStart;
      LOG.warn(
          "the server no longer holds WAL from {} to {} (the slot '{}' starts at {}): {}; take a"
              + " new base-backup",
          first.start(),
          slotSegment.start(),
          slot,
          slotStart,
          gap);
      context().err().println("warning: " + gap + "; take a new base-backup");
      return slotSegment;
    }
    return first;
  }

  /**
   * {@code --follow}: streams until stopped. SIGTERM (a pod stopping) runs a hook that asks the
   * receiver to store its partial segment and waits until the run has returned, so no received WAL
   * is left unstored.
   */
  private WalReceiver.Result follow(WalReceiver receiver, ArchivedThrough through)
      throws JobException {
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              receiver.stop();
              try {
                finished.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "wal-archive-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return receiver.follow(
          partialInterval, metricsInterval, progress -> report(progress, through));
    } finally {
      finished.countDown();
    }
  }

  /** Refuses to mix two clusters' WAL in one repository: their segment names collide. */
  private void checkSameCluster(WalArchive archive, WalChain chain, PitrServer server)
      throws JobException {
    if (chain.timelines().isEmpty()) {
      return;
    }
    List<ArchivedWal> newest = chain.segments(chain.timelines().get(chain.timelines().size() - 1));
    ArchivedWal last = newest.get(newest.size() - 1);
    String archived;
    try {
      archived = archive.header(last.key()).systemIdentifier();
    } catch (IOException e) {
      throw JobException.failed(
          "unable to read archived WAL object '" + last.key() + "': " + e.getMessage(), e);
    }
    if (archived != null && !archived.equals(server.systemIdentifier())) {
      throw JobException.badInput(
          "the repository's archived WAL comes from the cluster with system identifier "
              + archived
              + ", but server '"
              + pg().server()
              + "' is "
              + server.systemIdentifier()
              + " (another cluster, or one rebuilt from a dump): its WAL cannot continue this"
              + " archive, whose segment names it would reuse. Give it a new repository: set"
              + " BACKUP_STORAGE_URL to a new prefix (such as '"
              + repository.storageUrl()
              + "-"
              + server.systemIdentifier()
              + "') for every backup job (ConfigMap backup-config), run base-backup, then"
              + " wal-archive (docs/"
              + "disaster-recovery.md, site failure, step 8); this repository stays readable for"
              + " its backups. Nothing was archived");
    }
  }

  /**
   * The periodic report of {@code --follow}: logs where the archive stands and pushes it, so that a
   * process that never exits is watched too. A failure to read the server or to push is logged and
   * the archiving goes on.
   */
  private void report(WalReceiver.Progress progress, ArchivedThrough through) {
    Lsn now;
    try {
      now = PitrServer.read(pg()).flushLsn();
    } catch (JobException e) {
      LOG.warn("unable to read the server's WAL position: {}", e.getMessage());
      return;
    }
    through.serverAt(clock().instant(), now);
    long behind = Math.max(0, now.minus(progress.stored()));
    LOG.info(
        "WAL stored up to {}; the server is at {}, {} behind",
        progress.stored(),
        now,
        ByteSizes.human(behind));
    setWalMetrics(progress, behind, through);
    // a follower that reports is running well: its run counts as succeeding until it ends, so an
    // earlier run's failure does not keep BackupRunFailed firing
    metrics().gauge("backup_run_success", "1 when the run succeeded, 0 when it failed.", 1);
    pushMetricsNow();
  }

  private void setWalMetrics(WalReceiver.Progress progress, long behind, ArchivedThrough through) {
    metrics()
        .gauge(
            "backup_wal_archive_end_lsn", "WAL position archived up to", progress.stored().value());
    metrics()
        .gauge("backup_wal_archive_lag_bytes", "WAL the server holds that is not archived", behind);
    if (progress.lastStoredAt() != null) {
      metrics()
          .gauge(
              "backup_wal_archive_last_stored_timestamp_seconds",
              "When the archiver last stored a WAL segment or partial segment",
              progress.lastStoredAt().toEpochMilli() / 1000.0);
    }
    through
        .through(progress.stored())
        .ifPresent(
            t ->
                metrics()
                    .gauge(
                        "backup_wal_archive_archived_through_timestamp_seconds",
                        "Every byte of WAL the server had flushed at this time is archived",
                        t.toEpochMilli() / 1000.0));
  }
}
