package io.aido.backup.core.pipeline;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Moves one part between a plaintext stream and the repository: source, SHA-256 and count, zstd,
 * encryption, upload; and the mirror image on the way back.
 *
 * <p>TODO(pipeline helper): the contract below is what callers rely on; implement it.
 *
 * <p>Guarantees: memory is bounded by a few buffers whatever the size; compression and upload run
 * on their own threads and overlap; a failure anywhere (source, compressor, encryption, store)
 * aborts the upload, so no object becomes visible, and is rethrown to the caller naming the stage.
 */
public final class Pipeline {
  private final PipelineSettings settings;

  public Pipeline(PipelineSettings settings) {
    this.settings = settings;
  }

  public PipelineSettings settings() {
    return settings;
  }

  /**
   * Stores everything {@code source} yields as object {@code key}, compressed then encrypted with
   * {@code dataKey}. Does not close {@code source}.
   *
   * @throws IOException if any stage fails; no object named {@code key} is visible afterwards
   */
  public PartResult store(InputStream source, BlobStore store, ObjectKey key, DataKey dataKey)
      throws IOException {
    throw new UnsupportedOperationException("pipeline not implemented yet");
  }

  /**
   * A stream whose bytes become object {@code key}: for producers that write (a tar archive, a
   * COPY). {@link PartOutputStream#close()} completes the upload and yields the result; {@link
   * PartOutputStream#abort(Throwable)} guarantees nothing becomes visible.
   */
  public PartOutputStream writer(BlobStore store, ObjectKey key, DataKey dataKey)
      throws IOException {
    throw new UnsupportedOperationException("pipeline not implemented yet");
  }

  /**
   * Reads object {@code key} back: download, decrypt, decompress, SHA-256 and count, into {@code
   * sink}. Does not close {@code sink}. Failures name the object and what failed (missing, storage,
   * authentication, decompression).
   */
  public PartResult load(BlobReader store, ObjectKey key, DataKey dataKey, OutputStream sink)
      throws IOException {
    throw new UnsupportedOperationException("pipeline not implemented yet");
  }

  /**
   * The plaintext of object {@code key} as a stream, for consumers that read (pg_restore stdin).
   */
  public InputStream reader(BlobReader store, ObjectKey key, DataKey dataKey) throws IOException {
    throw new UnsupportedOperationException("pipeline not implemented yet");
  }
}
