package io.aido.backup.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * An optional ability of a {@link BlobStore}: replacing an existing object's content in one step.
 * The core contract stays create-only; only key rotation ({@code rewrap}) uses this, to swap the
 * small object that holds a wrapped data key (a backup record, a WAL object) without a moment in
 * which it is missing.
 *
 * <p>Guarantees: a reader sees the old content or the new one, never neither and never a mix; a
 * process killed at any instant leaves one of the two. The replacement happens only if the object
 * is still the one the caller read ({@code expected}: same size and time, and where the store has
 * generations, the same generation), so an object deleted meanwhile (by retention) is not brought
 * back and a concurrent change is not overwritten.
 *
 * <p>Restrictions: a store under a retention policy or hold refuses the replacement (a locked
 * bucket keeps every object as written); {@code rewrap} then reports the object as not moved.
 *
 * <pre>{@code
 * AtomicReplace replace = AtomicReplace.of(store).orElseThrow();
 * ObjectInfo before = store.stat(key).orElseThrow();
 * replace.replace(key, before, new ByteArrayInputStream(newBytes));
 * }</pre>
 */
public interface AtomicReplace {

  /**
   * Replaces the content of {@code key}, which must still be {@code expected}.
   *
   * @return the new object's size and time
   * @throws ObjectNotFoundException if it no longer exists; nothing is written
   * @throws ObjectChangedException if it exists but is no longer {@code expected}; nothing changes
   * @throws DeletionRefusedException if the store refuses to replace it (retention policy, hold)
   * @throws IOException if reading {@code content} or storing fails; the old content stays
   */
  ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content) throws IOException;

  /** The store's replace ability, if it has one. */
  static Optional<AtomicReplace> of(BlobStore store) {
    return store instanceof AtomicReplace r ? Optional.of(r) : Optional.empty();
  }
}
