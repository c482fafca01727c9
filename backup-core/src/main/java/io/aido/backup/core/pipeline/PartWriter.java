package io.aido.backup.core.pipeline;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of a part: digest, then compression and encryption on the writing thread (zstd
 * adds its own workers), then a {@link BoundedPipe} that the upload thread drains into {@link
 * BlobStore#create}. The pipe ends only after every stage has closed cleanly, so any failure makes
 * the store's read throw and the object never appears.
 */
final class PartWriter extends PartOutputStream {
  private static final Logger log = LoggerFactory.getLogger(PartWriter.class);

  private enum State {
    OPEN,
    CLOSED,
    FAILED
  }

  private final BlobStore store;
  private final ObjectKey key;
  private final BoundedPipe pipe;
  private final OutputStream head;
  private final Digest digest = new Digest();
  private final Digest storedDigest = new Digest();
  private final FutureTask<ObjectInfo> upload;
  private volatile State state = State.OPEN;
  private volatile PipelineException failure;
  private PartResult result;
  private ObjectInfo stored;

  PartWriter(
      PipelineSettings settings,
      Transforms transforms,
      BlobStore store,
      ObjectKey key,
      DataKey dataKey)
      throws PipelineException {
    this.store = store;
    this.key = key;
    this.pipe =
        new BoundedPipe(
            "the upload of '" + key + "'", settings.chunkSize(), settings.bufferedChunks());
    OutputStream toStore = new StageOutputStream(Stage.UPLOAD, pipe.sink());
    OutputStream encrypting;
    try {
      encrypting = transforms.encrypting(toStore, dataKey, key);
    } catch (IOException | RuntimeException e) {
      throw failure("store", Stage.ENCRYPT, e);
    }
    OutputStream compressing;
    try {
      compressing =
          transforms.compressing(new StageOutputStream(Stage.ENCRYPT, encrypting), settings);
    } catch (IOException | RuntimeException e) {
      throw failure("store", Stage.COMPRESS, e);
    }
    this.head = new StageOutputStream(Stage.COMPRESS, compressing);
    this.upload =
        new FutureTask<>(
            () -> {
              try {
                ObjectInfo info =
                    store.create(key, new DigestingInputStream(pipe.source(), storedDigest));
                checkWhole(info);
                return info;
              } catch (Throwable t) {
                pipe.abortReader(t);
                throw t;
              } finally {
                // a store that returned before the end must not leave the writer blocked
                pipe.source().close();
              }
            });
    Pipeline.start("pipeline-upload " + key, upload);
  }

  /**
   * Fails when the store completed the object before the end of its content, or holds another size
   * than it read (a short write the store reported as success): such an object would be recorded
   * whole and found broken only when read. Deletes it first. Runs on the upload thread; reading the
   * end of the pipe waits for the writer.
   */
  private void checkWhole(ObjectInfo info) throws IOException {
    boolean ended;
    try {
      ended = pipe.source().read() < 0;
    } catch (IOException e) {
      removeEarlyObject();
      throw e;
    }
    long read = storedDigest.count();
    if (!ended || info.size() != read) {
      removeEarlyObject();
      throw new IOException(
          "the store completed object '"
              + key
              + "' in "
              + store.describe()
              + " with "
              + info.size()
              + " bytes "
              + (ended ? "after reading " : "before the end of its content, after reading ")
              + read
              + " (a short write); deleted it");
    }
  }

  private PipelineException failure(String verb, Stage stage, Throwable cause) {
    return new PipelineException(verb, key, store.describe(), stage, cause);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    checkOpen();
    try {
      digest.update(b, off, len);
      head.write(b, off, len);
    } catch (Throwable t) {
      throw fail(StageFailure.of(Stage.COMPRESS, t));
    }
  }

  @Override
  public void flush() {
    // chunks move when full; flushing part-way would only shrink them
  }

  private void checkOpen() throws IOException {
    switch (state) {
      case OPEN -> {}
      case FAILED ->
          throw new IOException(
              "unable to write to object '" + key + "': its pipeline failed earlier", failure);
      case CLOSED ->
          throw new IOException("unable to write to object '" + key + "': already closed");
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (state == State.CLOSED) {
      return;
    }
    checkOpen();
    try {
      head.close();
      try {
        pipe.finish();
      } catch (IOException e) {
        throw StageFailure.of(Stage.UPLOAD, e);
      }
    } catch (Throwable t) {
      throw fail(StageFailure.of(Stage.COMPRESS, t));
    }
    Throwable uploadError = awaitUpload();
    if (uploadError != null) {
      state = State.FAILED;
      failure = failure("store", Stage.UPLOAD, uploadError);
      throw failure;
    }
    result =
        new PartResult(key, digest.count(), digest.finish(), stored.size(), storedDigest.finish());
    state = State.CLOSED;
  }

  @Override
  public void abort(Throwable reason) {
    fail(StageFailure.of(Stage.SOURCE, reason));
  }

  /**
   * Fails the part for good: ends the pipe with {@code f} so the store's read throws, releases the
   * compressor, and waits until the upload thread has finished, so that on return no object is
   * visible. Returns the failure to report: the first one, with the upload's own error when the
   * upload failed first.
   */
  synchronized PipelineException fail(StageFailure f) {
    if (state == State.FAILED) {
      return failure;
    }
    if (state == State.CLOSED) {
      // stored completely; the backup stays invisible until its record is written
      return failure("store", f.stage(), f.getCause());
    }
    state = State.FAILED;
    pipe.abortWriter(f);
    releaseStages();
    Throwable uploadError = awaitUpload();
    if (uploadError == null) {
      removeEarlyObject();
    }
    Throwable cause = f.getCause();
    if (f.stage() == Stage.UPLOAD && uploadError != null) {
      cause = uploadError;
    }
    failure = failure("store", f.stage(), cause);
    return failure;
  }

  private void releaseStages() {
    try {
      head.close();
    } catch (IOException | RuntimeException expected) {
      // the pipe is aborted, so flushing the last frame fails; close still frees zstd's memory
    }
  }

  /** Waits for the upload thread; its failure, or null when it stored the object. */
  private Throwable awaitUpload() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          stored = upload.get();
          return null;
        } catch (ExecutionException e) {
          return e.getCause();
        } catch (InterruptedException e) {
          // the aborted pipe ends the upload promptly; returning earlier could leave it running
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A store that returned before reading to the end made an object that must not stay. */
  private void removeEarlyObject() {
    try {
      store.delete(key);
      log.warn(
          "the store completed object '{}' in {} before its end; deleted it",
          key,
          store.describe());
    } catch (IOException e) {
      log.error(
          "the store completed object '{}' in {} before its end and deleting it failed: {}",
          key,
          store.describe(),
          e.getMessage());
    }
  }

  @Override
  public PartResult result() {
    if (state != State.CLOSED) {
      throw new IllegalStateException("object '" + key + "' is not stored (yet)");
    }
    return result;
  }
}
