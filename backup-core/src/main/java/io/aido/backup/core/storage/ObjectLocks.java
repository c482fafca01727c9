package io.aido.backup.core.storage;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * An optional ability of a {@link BlobStore}: telling whether the store would refuse to delete an
 * object now, before trying. A GCS bucket with a retention policy keeps every object until its
 * retention period ends; an object hold keeps it until the hold is released.
 *
 * <p>Retention asks before it deletes a backup's record, so a backup whose data the store keeps is
 * kept whole and listed instead of losing its record and leaving locked data nobody can see.
 *
 * <pre>{@code
 * if (store instanceof ObjectLocks locks) {
 *   Optional<String> lock = locks.lock(key, clock.instant()); // "the bucket's retention policy until ..."
 * }
 * }</pre>
 */
public interface ObjectLocks {

  /**
   * Why the store would refuse to delete {@code key} at {@code now}, such as {@code "a temporary
   * hold"} or {@code "the bucket's retention policy until 2027-01-01T00:00:00Z"}; empty when it
   * would not, or when the object does not exist.
   *
   * @throws IOException if the store fails
   */
  Optional<String> lock(ObjectKey key, Instant now) throws IOException;
}
