package io.aido.backup.core.pipeline;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectKey;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The read side of a part: a download thread fills a {@link BoundedPipe} with ciphertext while the
 * reading thread decrypts, decompresses and digests. The mirror image of {@link PartWriter}.
 */
final class PartReader extends PartInputStream {
  private final ObjectKey key;
  private final String storeName;
  private final BoundedPipe pipe;
  private final Counting downloaded;
  private final InputStream decrypted;
  private final InputStream head;
  private final Digest digest = new Digest();
  private PartResult result;
  private PipelineException failure;
  private boolean closed;

  /** Starts reading {@code ciphertext}, which this reader closes. */
  PartReader(
      PipelineSettings settings,
      Transforms transforms,
      BlobReader store,
      ObjectKey key,
      DataKey dataKey,
      InputStream ciphertext)
      throws PipelineException {
    this.key = key;
    this.storeName = store.describe();
    this.pipe =
        new BoundedPipe(
            "the download of '" + key + "'", settings.chunkSize(), settings.bufferedChunks());
    this.downloaded = new Counting(new StageInputStream(Stage.DOWNLOAD, pipe.source()));
    InputStream decrypting;
    InputStream decompressing;
    try {
      decrypting = transforms.decrypting(downloaded, dataKey, key);
    } catch (IOException | RuntimeException e) {
      closeQuietly(ciphertext);
      throw new PipelineException("read", key, storeName, Stage.DECRYPT, e);
    }
    this.decrypted = new StageInputStream(Stage.DECRYPT, decrypting);
    try {
      decompressing = transforms.decompressing(decrypted);
    } catch (IOException | RuntimeException e) {
      closeQuietly(ciphertext);
      throw new PipelineException("read", key, storeName, Stage.DECOMPRESS, e);
    }
    this.head = new StageInputStream(Stage.DECOMPRESS, decompressing);
    Pipeline.start("pipeline-download " + key, () -> download(ciphertext));
  }

  private void download(InputStream ciphertext) {
    try (InputStream in = ciphertext) {
      byte[] buffer = new byte[64 * 1024];
      OutputStream out = pipe.sink();
      int n;
      while (true) {
        try {
          n = in.read(buffer);
        } catch (IOException | RuntimeException e) {
          pipe.abortWriter(StageFailure.of(Stage.DOWNLOAD, e));
          return;
        }
        if (n < 0) {
          break;
        }
        out.write(buffer, 0, n);
      }
      pipe.finish();
    } catch (IOException | RuntimeException e) {
      // the reader stopped first (failed or closed early); it knows why
      pipe.abortWriter(e);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (failure != null) {
      throw new IOException("unable to read object '" + key + "': it failed earlier", failure);
    }
    if (closed) {
      throw new IOException("unable to read object '" + key + "': closed");
    }
    if (result != null) {
      return -1;
    }
    try {
      int n = head.read(b, off, len);
      if (n > 0) {
        digest.update(b, off, n);
      } else if (n < 0) {
        if (decrypted.read() >= 0) {
          throw StageFailure.of(
              Stage.DECOMPRESS, new IOException("data follows the end of the compressed stream"));
        }
        result =
            new PartResult(
                key, digest.count(), digest.finish(), downloaded.count, downloaded.sha256.finish());
      }
      return n;
    } catch (Throwable t) {
      StageFailure f = StageFailure.of(Stage.DECOMPRESS, t);
      if (pipe.writerFailure() instanceof StageFailure download) {
        // Tink reports a read error inside its first segment as "no matching key": the
        // download failing first is the real cause, and it is not a sign of tampering
        f = download;
      }
      failure = new PipelineException("read", key, storeName, f.stage(), f.getCause());
      release();
      throw failure;
    }
  }

  /** Copies the rest into {@code sink}; failures of the sink are tagged {@link Stage#SINK}. */
  PartResult transferAll(OutputStream sink) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    int n;
    while ((n = read(buffer, 0, buffer.length)) >= 0) {
      try {
        sink.write(buffer, 0, n);
      } catch (IOException | RuntimeException e) {
        failure = new PipelineException("read", key, storeName, Stage.SINK, e);
        release();
        throw failure;
      }
    }
    return result;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      release();
    }
  }

  private void release() {
    pipe.abortReader(new IOException("reading stopped"));
    closeQuietly(head);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException expected) {
      // only releasing memory here; the reason to stop was reported already
    }
  }

  @Override
  public PartResult result() {
    if (result == null) {
      throw new IllegalStateException("object '" + key + "' has not been read to its end");
    }
    return result;
  }

  /** Counts and hashes the stored bytes as they are downloaded. */
  private static final class Counting extends FilterInputStream {
    private final Digest sha256 = new Digest();
    private long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
        sha256.update(new byte[] {(byte) b}, 0, 1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
        sha256.update(b, off, n);
      }
      return n;
    }
  }
}
