package io.aido.backup.core.storage;

import java.io.IOException;
import java.io.InputStream;

/**
 * A {@link FaultInjectingBlobStore} that also has {@link AtomicReplace}, for stores that have it (a
 * {@code file://} or GCS store): what key rotation ({@code rewrap}) needs to run at all.
 *
 * <p>Guarantees: a replacement is a write, so the faults of {@link Operation#CREATE} and the upload
 * faults ({@link #failUploadsAfter}, {@link #truncateUploads}, {@link #corruptUploads}) apply to it
 * as to a create; the wrapped store's replace then decides what stays, as it would for a real
 * failure of the same kind.
 *
 * <pre>{@code
 * ReplacingFaultInjectingBlobStore store =
 *     new ReplacingFaultInjectingBlobStore(new LocalBlobStore(dir));
 * store.truncateUploads(FaultInjectingBlobStore.under("catalog/"), 100);
 * }</pre>
 *
 * <p>Throws what the faults throw, then what the wrapped store's replace throws.
 */
public class ReplacingFaultInjectingBlobStore extends FaultInjectingBlobStore
    implements AtomicReplace {
  private final AtomicReplace replace;

  /**
   * @throws IllegalArgumentException if {@code inner} cannot replace an object
   */
  public ReplacingFaultInjectingBlobStore(BlobStore inner) {
    super(inner);
    this.replace =
        AtomicReplace.of(inner)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        inner.describe() + " cannot replace an object in one step"));
  }

  @Override
  public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
      throws IOException {
    runHooks(Operation.CREATE, key, key.name());
    return replace.replace(key, expected, uploadContent(key, content));
  }
}
