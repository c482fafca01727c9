package io.aido.backup.core.storage;

import java.io.IOException;

/**
 * An optional ability of a {@link BlobStore}: copying an object from another store without its
 * bytes passing through this process (a GCS rewrite between buckets). Code that copies asks with
 * {@code instanceof} and {@link #canCopyFrom}, and streams otherwise.
 *
 * <p>Guarantees: the same as {@link BlobStore#create}: create-only (an existing name fails with
 * {@link ObjectExistsException} and is left as it is) and all or nothing.
 *
 * <pre>{@code
 * if (target instanceof ServerSideCopy copy && copy.canCopyFrom(source)) {
 *   copy.copyFrom(source, key);
 * } else {
 *   try (InputStream in = source.open(key)) {
 *     target.create(key, in);
 *   }
 * }
 * }</pre>
 */
public interface ServerSideCopy {

  /** Whether {@link #copyFrom} can copy objects of {@code source} into this store. */
  boolean canCopyFrom(BlobReader source);

  /**
   * Copies {@code source}'s object {@code key} to the same name in this store.
   *
   * @return the new object's size and time
   * @throws IllegalArgumentException if {@link #canCopyFrom} is false for {@code source}
   * @throws ObjectNotFoundException if {@code source} has no such object
   * @throws ObjectExistsException if this store already has {@code key}; nothing is changed
   * @throws IOException if either store fails; no object is visible
   */
  ObjectInfo copyFrom(BlobReader source, ObjectKey key) throws IOException;
}
