package io.aido.backup.db;

import io.aido.backup.postgres.wal.Lsn;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * The archiver's recovery point as a moment: the newest time {@code t} such that every byte of WAL
 * the server had flushed at {@code t} is stored. A point-in-time restore can reach {@code t}; the
 * WAL alert compares it with the clock, so it means the same for the 5-minute CronJob and for
 * {@code --follow}.
 *
 * <p>It is fed samples of the server's flushed position ({@link #serverAt}) and answers for a
 * stored position ({@link #through}). Samples already covered are dropped; while nothing is stored,
 * at most {@value #MAX_SAMPLES} are kept (the oldest go first, so the answer can only be earlier
 * than the truth, never later).
 *
 * <p>Not thread-safe.
 */
final class ArchivedThrough {
  static final int MAX_SAMPLES = 1024;

  private record Sample(Instant at, Lsn flushed) {}

  private final Deque<Sample> pending = new ArrayDeque<>();
  private Instant through;

  /** Records that at {@code at} the server had flushed up to {@code flushed}. */
  void serverAt(Instant at, Lsn flushed) {
    if (pending.size() == MAX_SAMPLES) {
      pending.removeFirst();
    }
    pending.addLast(new Sample(at, flushed));
  }

  /**
   * The newest sampled moment whose flushed position is stored once the archive holds everything
   * before {@code stored}; empty while no sample is covered.
   */
  Optional<Instant> through(Lsn stored) {
    while (!pending.isEmpty() && !pending.peekFirst().flushed().isAfter(stored)) {
      through = pending.removeFirst().at();
    }
    return Optional.ofNullable(through);
  }
}
