package io.aido.backup.dapr;

import java.io.IOException;
import java.util.Map;

/**
 * One Dapr state store's data, read and written the way Dapr's component stores it. Each store type
 * is one class ({@link PostgresStateStore}, {@link RedisStateStore}); {@link StateStores} picks the
 * class for a Component.
 *
 * <p>Guarantees of every implementation:
 *
 * <ul>
 *   <li>{@link #snapshot} writes every live entry that {@code filter} covers, with its key, value,
 *       ETag, flags and expiry, and counts them by {@link DaprKey}; items that had already expired
 *       are left out (Dapr treats them as absent) and counted apart;
 *   <li>{@link #restore} refuses, with {@link LiveDataException} and before writing anything, a
 *       store that holds a live key within {@code filter} unless {@code clean}; with {@code clean}
 *       it first removes exactly those keys; entries that expired since the snapshot are not
 *       written;
 *   <li>no message, log line or header contains a password or a connection string.
 * </ul>
 *
 * <p>How consistent a snapshot is depends on the store, and each class says so.
 *
 * <pre>{@code
 * try (StateStore store = StateStores.open(component).store().orElseThrow()) {
 *   SnapshotStats stats = store.snapshot(KeyFilter.ALL, writer);
 * }
 * }</pre>
 */
public interface StateStore extends AutoCloseable {

  /** The snapshot's header facts: type, layout, table (never a secret). */
  Map<String, Object> describe();

  /**
   * Writes the store's live entries covered by {@code filter}; does not {@link
   * SnapshotFormat.Writer#finish() finish} the writer.
   *
   * @throws IOException if the store cannot be read (the message names the store, not its
   *     credentials)
   */
  SnapshotStats snapshot(KeyFilter filter, SnapshotFormat.Writer out) throws IOException;

  /**
   * How many live keys within {@code filter} the store holds now: a restore into it needs {@code
   * --clean} unless this is 0.
   */
  long liveKeys(KeyFilter filter) throws IOException;

  /**
   * Writes the entries of {@code in} covered by {@code filter} back.
   *
   * @throws LiveDataException if the store holds live keys in scope and {@code clean} is false
   * @throws IOException if the snapshot does not fit this store (another layout) or writing fails
   */
  RestoreStats restore(SnapshotFormat.Reader in, KeyFilter filter, boolean clean)
      throws IOException, LiveDataException;

  /**
   * Connects and authenticates once, reading nothing: what a snapshot runs for every store before
   * it writes a byte, so that an unreachable store or a refused password leaves nothing behind.
   *
   * @throws CredentialsRefusedException if the store refuses the credentials its Component gives
   * @throws IOException if the store cannot be reached (the message names the store, not its
   *     credentials)
   */
  void check() throws IOException;

  @Override
  void close() throws IOException;

  /**
   * The store refused the credentials its Component gives: a configuration problem, not an outage.
   */
  final class CredentialsRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the store and the Component setting that holds the password
     */
    public CredentialsRefusedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * What a snapshot read.
   *
   * @param counts the entries written, by kind, app and actor type
   * @param expiredLeftOut entries that had expired and were left out
   */
  record SnapshotStats(KeyCounts counts, long expiredLeftOut) {}

  /**
   * What a restore wrote.
   *
   * @param counts the entries written, by kind, app and actor type
   * @param expiredSinceSnapshot entries not written because they expired since the snapshot
   * @param removed keys removed first by {@code --clean}
   * @param etagsKept whether the store got the snapshot's ETags back (PostgreSQL v1 cannot: its
   *     ETag is the row's transaction id)
   */
  record RestoreStats(
      KeyCounts counts, long expiredSinceSnapshot, long removed, boolean etagsKept) {}

  /** The target holds live data in the restore's scope, and {@code --clean} was not given. */
  final class LiveDataException extends Exception {
    private static final long serialVersionUID = 1L;

    public LiveDataException(String message) {
      super(message);
    }
  }
}
