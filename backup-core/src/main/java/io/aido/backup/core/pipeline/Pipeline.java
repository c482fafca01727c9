package io.aido.backup.core.pipeline;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import org.slf4j.MDC;

/**
 * Moves one part between a plaintext stream and the repository: source, SHA-256 and count, zstd,
 * encryption, upload; and the mirror image on the way back.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Memory is bounded whatever the size: per part, two hand-offs of {@link
 *       PipelineSettings#chunkSize()} &times; {@link PipelineSettings#bufferedChunks()} bytes, plus
 *       zstd's native window (a few MiB per worker, outside the Java heap).
 *   <li>Stages overlap on their own threads: {@link #store} reads the source on one thread,
 *       digests, compresses and encrypts on the caller's (zstd adds {@link
 *       PipelineSettings#compressionWorkers()} native workers), and uploads on a third; reading
 *       downloads on one thread and decrypts, decompresses and digests on the caller's.
 *   <li>A failure anywhere (source, compressor, encryption, store) aborts the upload: the store's
 *       read of the content throws, so no object named {@code key} becomes visible, and the caller
 *       gets a {@link PipelineException} naming the object and the first stage that failed. The
 *       call returns only after the upload thread has finished.
 *   <li>Reading releases only authenticated plaintext; a tampered, truncated or renamed object
 *       fails in the {@link Stage#DECRYPT} stage, never with a clean but short end.
 * </ul>
 *
 * <p>Restrictions: a pipeline holds no state between calls and is safe to share; each stream it
 * returns is for one thread.
 *
 * <pre>{@code
 * Pipeline pipeline = new Pipeline(PipelineSettings.defaults());
 * PartResult stored = pipeline.store(pgDump.getInputStream(), store, key, dataKey);
 * try (OutputStream out = Files.newOutputStream(target)) {
 *   PartResult read = pipeline.load(store, key, dataKey, out);
 * }
 * }</pre>
 */
public final class Pipeline {
  private static final int SOURCE_READ = 64 * 1024;

  private final PipelineSettings settings;
  private final Transforms transforms;

  public Pipeline(PipelineSettings settings) {
    this(settings, Transforms.standard());
  }

  /** With other compression and encryption stages: for tests that inject failures. */
  Pipeline(PipelineSettings settings, Transforms transforms) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.transforms = Objects.requireNonNull(transforms, "transforms");
  }

  public PipelineSettings settings() {
    return settings;
  }

  /**
   * Stores everything {@code source} yields as object {@code key}, compressed then encrypted with
   * {@code dataKey}. Does not close {@code source}. If this fails while the source is blocked in a
   * read, the reading thread ends at that read's return (close the source to end it sooner).
   *
   * @return the plaintext size and SHA-256 and the stored size
   * @throws io.aido.backup.core.storage.ObjectExistsException (as the cause of a {@link
   *     PipelineException} in the {@link Stage#UPLOAD} stage) if {@code key} exists
   * @throws PipelineException if any stage fails; no object named {@code key} is visible afterwards
   */
  public PartResult store(InputStream source, BlobStore store, ObjectKey key, DataKey dataKey)
      throws IOException {
    BoundedPipe fromSource =
        new BoundedPipe(
            "the source of '" + key + "'", settings.chunkSize(), settings.bufferedChunks());
    PartWriter writer = new PartWriter(settings, transforms, store, key, dataKey);
    Thread reading;
    try {
      reading = start("pipeline-source " + key, () -> readSource(source, fromSource));
    } catch (RuntimeException | Error e) {
      throw writer.fail(StageFailure.of(Stage.SOURCE, e));
    }
    try {
      while (true) {
        ByteBuffer slice;
        try {
          slice = fromSource.nextSlice();
        } catch (IOException | RuntimeException e) {
          throw writer.fail(StageFailure.of(Stage.SOURCE, e));
        }
        if (slice == null) {
          break;
        }
        writer.write(slice.array(), slice.arrayOffset() + slice.position(), slice.remaining());
      }
      writer.close();
    } catch (IOException | RuntimeException | Error e) {
      fromSource.abortReader(e);
      throw e;
    }
    joinUninterruptibly(reading);
    return writer.result();
  }

  /** Reads {@code source} straight into the pipe's chunks, until its end or a failure. */
  private static void readSource(InputStream source, BoundedPipe to) {
    try {
      while (to.readFrom(source, SOURCE_READ) >= 0) {
        // each read lands in the pipe's current chunk; full chunks move on by themselves
      }
      to.finish();
    } catch (BoundedPipe.SourceReadException e) {
      to.abortWriter(StageFailure.of(Stage.SOURCE, e.getCause()));
    } catch (IOException | RuntimeException e) {
      // the consumer stopped first and reports its own failure
      to.abortWriter(e);
    }
  }

  /**
   * A stream whose bytes become object {@code key}: for producers that write (a tar archive, a
   * COPY). {@link PartOutputStream#close()} completes the upload and yields the result; {@link
   * PartOutputStream#abort(Throwable)} guarantees nothing becomes visible. Writes throw a {@link
   * PipelineException} as soon as a stage has failed, and keep throwing.
   *
   * @throws PipelineException if the compressor or encryption cannot start
   */
  public PartOutputStream writer(BlobStore store, ObjectKey key, DataKey dataKey)
      throws IOException {
    return new PartWriter(settings, transforms, store, key, dataKey);
  }

  /**
   * Reads object {@code key} back: download, decrypt, decompress, SHA-256 and count, into {@code
   * sink}. Does not close {@code sink}. What reached {@code sink} before a failure was
   * authenticated but is incomplete.
   *
   * @throws ObjectNotFoundException if there is no such object (missing, not failed)
   * @throws PipelineException naming the object and the stage that failed: download (storage),
   *     decrypt (tampered, truncated, renamed or wrong key), decompress, or sink
   */
  public PartResult load(BlobReader store, ObjectKey key, DataKey dataKey, OutputStream sink)
      throws IOException {
    try (PartReader reader = open(store, key, dataKey)) {
      return reader.transferAll(sink);
    }
  }

  /**
   * The plaintext of object {@code key} as a stream, for consumers that read (pg_restore stdin).
   * Its {@link PartInputStream#result()} is available once it returned its end.
   *
   * @throws ObjectNotFoundException if there is no such object
   * @throws PipelineException if the object cannot be opened; later failures come from {@code read}
   */
  public PartInputStream reader(BlobReader store, ObjectKey key, DataKey dataKey)
      throws IOException {
    return open(store, key, dataKey);
  }

  private PartReader open(BlobReader store, ObjectKey key, DataKey dataKey) throws IOException {
    InputStream ciphertext;
    try {
      ciphertext = store.open(key);
    } catch (ObjectNotFoundException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new PipelineException("read", key, store.describe(), Stage.DOWNLOAD, e);
    }
    return new PartReader(settings, transforms, store, key, dataKey, ciphertext);
  }

  /**
   * Starts a stage's thread. It logs in the caller's context (MDC {@code job}, {@code backup_id}),
   * so a stage's lines belong to the backup they work for.
   */
  static Thread start(String name, Runnable task) {
    Map<String, String> context = MDC.getCopyOfContextMap();
    Thread t =
        new Thread(
            () -> {
              if (context != null) {
                MDC.setContextMap(context);
              }
              try {
                task.run();
              } finally {
                MDC.clear();
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
