package io.aido.backup.core.storage;

import java.io.IOException;
import java.io.InputStream;

/**
 * A place that holds named, immutable objects: a directory tree or a bucket prefix.
 *
 * <p>Only five operations move data: {@link #create}, {@link #open}, {@link #stat}, {@link #list}
 * and {@link #delete}. Retry, dry-run and fault injection are wrappers around a store, never flags
 * inside one.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Create-only: an object, once created, is never overwritten. Creating an existing name fails
 *       with {@link ObjectExistsException} and leaves the existing object untouched.
 *   <li>All or nothing: an object becomes visible only once every byte of its content has been
 *       durably stored. When the content stream throws, the store fails, or the process dies, no
 *       object with that name becomes visible (a filesystem may keep an invisible temporary file).
 *   <li>Deleting a missing object succeeds.
 * </ul>
 *
 * <pre>{@code
 * try (InputStream in = source()) {
 *   ObjectInfo info = store.create(ObjectKey.of("data/manifests/ID/archive"), in);
 * }
 * }</pre>
 */
public interface BlobStore extends BlobReader {

  /**
   * Stores everything {@code content} yields under {@code key}. The stream is read to its end but
   * not closed.
   *
   * @return the stored object's size and time
   * @throws ObjectExistsException if {@code key} already exists; nothing is changed
   * @throws IOException if reading {@code content} or storing fails; no object is visible
   */
  ObjectInfo create(ObjectKey key, InputStream content) throws IOException;

  /**
   * Removes an object. Succeeds when it does not exist.
   *
   * @throws DeletionRefusedException if the store refuses (a retention policy or an object hold)
   * @throws IOException if the store fails
   */
  void delete(ObjectKey key) throws IOException;
}
