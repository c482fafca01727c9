package io.aido.backup.core.storage;

import java.io.IOException;
import java.time.Instant;

/**
 * An optional ability of a {@link BlobStore}: removing what uploads that never finished left
 * behind. A filesystem keeps the temporary file of a process killed mid-write; a bucket needs
 * nothing (an unfinished resumable upload is never an object, and expires on its own), so only
 * stores that keep such leftovers implement this.
 *
 * <p>Guarantees: only leftovers older than the given instant are removed, never an object, so an
 * upload still running (younger than retention's grace period) is left alone.
 *
 * <pre>{@code
 * if (store instanceof AbandonedUploads uploads) {
 *   long freed = uploads.removeAbandonedUploads(now.minus(grace));
 * }
 * }</pre>
 */
public interface AbandonedUploads {

  /**
   * Removes the leftovers of unfinished uploads older than {@code olderThan}.
   *
   * @return the bytes freed
   * @throws IOException if the store fails
   */
  long removeAbandonedUploads(Instant olderThan) throws IOException;
}
