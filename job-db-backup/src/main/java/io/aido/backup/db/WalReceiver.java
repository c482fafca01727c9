package io.aido.backup.db;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.Lsn;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalChain;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives WAL from a physical replication slot into a local spool file, one segment at a time, and
 * stores each finished segment (and, when asked, the beginning of the current one) in the archive.
 *
 * <p>Guarantees: bytes are stored in order without holes (a message that does not start where the
 * previous one ended fails the run); the server is told a position is flushed only once the whole
 * segment before it is stored; a partial segment is stored under its length, and older partials of
 * the same segment are removed only after a longer one (or the whole segment) is stored.
 *
 * <p>Restrictions: one receiver per slot; not thread-safe except {@link #stop()}.
 */
final class WalReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(WalReceiver.class);
  private static final Duration STOP_CATCH_UP = Duration.ofSeconds(10);

  private final PgConnection pg;
  private final String slot;
  private final WalArchive archive;
  private final List<ArchivedWal> knownPartials = new ArrayList<>();
  private final String systemIdentifier;
  private final DataKey dataKey;
  private final WrappedDataKey wrapped;
  private final Clock clock;
  private final Duration idleTimeout;
  private volatile boolean stopping;

  private WalSegment segment;
  private Lsn position;
  private final Spool spool;
  private int wholeSegments;
  private long storedBytes;
  private long plaintextBytes;
  private ArchivedWal lastPartial;
  private Lsn storedEnd;
  private Instant lastStoredAt;

  /**
   * The result of a run.
   *
   * @param end the first position not archived
   * @param wholeSegments whole segments stored
   * @param partial the last partial stored, or {@code null}
   * @param storedBytes bytes stored (compressed and encrypted)
   * @param plaintextBytes WAL bytes stored
   */
  record Result(
      Lsn end, int wholeSegments, ArchivedWal partial, long storedBytes, long plaintextBytes) {}

  /**
   * Where a running {@link #follow} stands, for its periodic report.
   *
   * @param received the first position not received
   * @param stored the first position the archive does not hold (whole segments and the newest
   *     partial); WAL before it survives the archiver's crash
   * @param lastStoredAt when this run last stored an object, or {@code null} if it has not yet
   */
  record Progress(Lsn received, Lsn stored, Instant lastStoredAt) {}

  WalReceiver(
      PgConnection pg,
      String slot,
      WalArchive archive,
      WalChain chain,
      WalSegment first,
      String systemIdentifier,
      DataKey dataKey,
      WrappedDataKey wrapped,
      Path spoolDir,
      Clock clock,
      Duration idleTimeout) {
    this.pg = pg;
    this.slot = slot;
    this.archive = archive;
    this.systemIdentifier = systemIdentifier;
    this.dataKey = dataKey;
    this.wrapped = wrapped;
    this.spool = new Spool(spoolDir);
    this.clock = clock;
    this.idleTimeout = idleTimeout;
    this.segment = first;
    this.position = first.start();
    this.storedEnd = first.start();
    chain.superseded().stream().filter(ArchivedWal::partial).forEach(knownPartials::add);
    for (int tl : chain.timelines()) {
      chain.segments(tl).stream().filter(ArchivedWal::partial).forEach(knownPartials::add);
    }
  }

  /** Asks a running {@link #follow} to store its partial and return. */
  void stop() {
    stopping = true;
  }

  /** Streams until {@code target} is archived, stores the partial segment, and returns. */
  Result catchUp(Lsn target) throws JobException {
    if (!target.isAfter(position)) {
      LOG.info(
          "nothing to archive: the server's WAL ends at {}, archived up to {}", target, position);
      return result();
    }
    return stream(target, null, null, null);
  }

  /**
   * Streams until {@link #stop()}, storing a partial segment every {@code partialInterval} and
   * calling {@code report} every {@code reportInterval} (whether or not WAL arrives); on stop,
   * first receives what the server had flushed by then (for 10 s at most).
   */
  Result follow(Duration partialInterval, Duration reportInterval, Consumer<Progress> report)
      throws JobException {
    return stream(null, partialInterval, reportInterval, report);
  }

  /** Where this run stands now; after a run, the same as its {@link Result}. */
  Progress progress() {
    return new Progress(position, storedEnd, lastStoredAt);
  }

  private Result stream(
      Lsn target, Duration partialInterval, Duration reportInterval, Consumer<Progress> report)
      throws JobException {
    try (Connection c = pg.openReplication()) {
      spool.open(segment);
      PGReplicationStream stream = open(c);
      Run run = new Run(target, partialInterval, reportInterval, report);
      while (run.pass(stream)) {
        // each pass receives, idles or reports once
      }
      storePartial();
      stream.close();
    } catch (SQLException e) {
      throw ReplicationErrors.failed(e, pg, position);
    } catch (IOException e) {
      throw JobException.failed(
          "unable to archive WAL segment "
              + segment
              + ": "
              + e.getMessage()
              + "; everything archived before it is kept and the next run continues from there",
          e);
    } finally {
      spool.close();
    }
    return result();
  }

  private PGReplicationStream open(Connection c) throws SQLException {
    PGReplicationStream stream =
        c.unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .physical()
            .withSlotName(slot)
            .withStartPosition(LogSequenceNumber.valueOf(position.value()))
            .withStatusInterval(10, TimeUnit.SECONDS)
            .withAutomaticFlush(false)
            .start();
    LOG.info("streaming WAL from slot '{}' at {}", slot, position);
    return stream;
  }

  /**
   * One streaming run's pace: where it must get to (a target, or until stopped), when data last
   * came, when the partial segment was last stored and when progress was last reported.
   */
  private final class Run {
    private Lsn target;
    private final Duration partialInterval;
    private final Duration reportInterval;
    private final Consumer<Progress> report;
    private Instant lastData = clock.instant();
    private Instant lastPartialAt = clock.instant();
    private Instant lastReport = clock.instant();
    private Lsn partialAt = position;
    private Instant stopDeadline;

    Run(Lsn target, Duration partialInterval, Duration reportInterval, Consumer<Progress> report) {
      this.target = target;
      this.partialInterval = partialInterval;
      this.reportInterval = reportInterval;
      this.report = report;
    }

    /** One pass of the loop; false once the run is over. */
    boolean pass(PGReplicationStream stream) throws JobException, IOException, SQLException {
      if (target != null && !position.isBefore(target)) {
        return false;
      }
      if (target == null && stopping) {
        return beginStop();
      }
      if (stopDeadline != null && clock.instant().isAfter(stopDeadline)) {
        LOG.warn("stopping before {}: the server did not send it within {}", target, STOP_CATCH_UP);
        return false;
      }
      if (report != null
          && Duration.between(lastReport, clock.instant()).compareTo(reportInterval) >= 0) {
        // checked on every pass, not only when idle: under a steady load the stream may never
        // run dry for a whole interval
        report.accept(progress());
        lastReport = clock.instant();
      }
      ByteBuffer buf = stream.readPending();
      Instant now = clock.instant();
      if (buf == null) {
        idle(now);
        return true;
      }
      lastData = now;
      Lsn end = new Lsn(stream.getLastReceiveLSN().asLong());
      Lsn start = end.plus(-buf.remaining());
      if (!start.equals(position)) {
        throw JobException.failed(
            "the server sent WAL from " + start + " where " + position + " was expected", null);
      }
      write(buf, stream);
      return true;
    }

    /** Asked to stop: takes what the server has flushed by now, for a few seconds at most. */
    private boolean beginStop() {
      try {
        target = PitrServer.read(pg).flushLsn();
      } catch (JobException e) {
        LOG.warn("stopping: unable to read the server's position ({})", e.getMessage());
        return false;
      }
      lastData = clock.instant();
      stopDeadline = lastData.plus(STOP_CATCH_UP);
      LOG.info("stopping: archiving up to the server's flushed position {}", target);
      return true;
    }

    /** Nothing pending: fails after the idle timeout, stores the partial when due, waits. */
    private void idle(Instant now) throws JobException, IOException {
      if (target != null && Duration.between(lastData, now).compareTo(idleTimeout) > 0) {
        throw JobException.failed(
            "the server sent no WAL for "
                + idleTimeout.toSeconds()
                + " s while "
                + target
                + " was expected (archived up to "
                + position
                + ")",
            null);
      }
      if (partialInterval != null
          && position.isAfter(partialAt)
          && Duration.between(lastPartialAt, now).compareTo(partialInterval) >= 0) {
        storePartial();
        partialAt = position;
        lastPartialAt = now;
      }
      sleep();
    }
  }

  private Result result() {
    return new Result(position, wholeSegments, lastPartial, storedBytes, plaintextBytes);
  }

  private void write(ByteBuffer buf, PGReplicationStream stream) throws IOException, SQLException {
    while (buf.hasRemaining()) {
      long room = segment.end().minus(position);
      int n = (int) Math.min(room, buf.remaining());
      ByteBuffer slice = buf.slice();
      slice.limit(n);
      spool.write(slice);
      buf.position(buf.position() + n);
      position = position.plus(n);
      if (position.equals(segment.end())) {
        storeWhole(stream);
      }
    }
  }

  private void storeWhole(PGReplicationStream stream) throws IOException, SQLException {
    ArchivedWal whole = ArchivedWal.whole(segment);
    WalArchive.Outcome outcome = store(whole);
    wholeSegments++;
    LOG.info(
        "WAL segment {} {}",
        segment,
        outcome == WalArchive.Outcome.STORED ? "stored" : "was already stored");
    // Only now may the server let the segment go.
    storedEnd = segment.end();
    LogSequenceNumber done = LogSequenceNumber.valueOf(segment.end().value());
    stream.setFlushedLSN(done);
    stream.setAppliedLSN(done);
    stream.forceUpdateStatus();
    removePartials(segment, Long.MAX_VALUE);
    segment = segment.next();
    spool.open(segment);
  }

  private void storePartial() throws IOException {
    long valid = position.minus(segment.start());
    if (valid <= 0) {
      return;
    }
    if (lastPartial != null
        && lastPartial.segment().equals(segment)
        && lastPartial.validBytes() == valid) {
      return;
    }
    spool.force();
    ArchivedWal partial = ArchivedWal.partial(segment, valid);
    store(partial);
    storedEnd = position;
    lastPartial = partial;
    LOG.info("partial WAL segment {} stored up to {}", segment, position);
    removePartials(segment, valid);
    knownPartials.add(partial);
  }

  private WalArchive.Outcome store(ArchivedWal wal) throws IOException {
    WalArchive.Outcome outcome =
        archive.store(wal, spool.path(), systemIdentifier, dataKey, wrapped, clock.instant());
    lastStoredAt = clock.instant();
    if (outcome == WalArchive.Outcome.STORED) {
      plaintextBytes += wal.validBytes();
      storedBytes += archive.store().stat(wal.key()).map(i -> i.size()).orElse(0L);
    }
    return outcome;
  }

  /** Removes partials of {@code seg} shorter than {@code shorterThan}; they are superseded. */
  private void removePartials(WalSegment seg, long shorterThan) {
    List<ArchivedWal> gone = new ArrayList<>();
    for (ArchivedWal w : knownPartials) {
      if (w.segment().equals(seg) && w.validBytes() < shorterThan) {
        try {
          archive.store().delete(w.key());
          gone.add(w);
        } catch (IOException e) {
          // harmless: readers prefer the longer object, retention removes it later
          LOG.warn("unable to remove superseded partial '{}': {}", w.key(), e.getMessage());
        }
      }
    }
    knownPartials.removeAll(gone);
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
