package io.aido.backup.core.compress;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Zstandard compression as plain {@link OutputStream} and {@link InputStream} stages. No zstd-jni
 * type leaves this class.
 *
 * <p>Guarantees: the streams hold native memory (a compression context and, with workers, their job
 * buffers) that {@link OutputStream#close()} / {@link InputStream#close()} always releases, even
 * when closing fails; a truncated or corrupt frame raises an {@link IOException} rather than a
 * short read. Closing the compressing stream ends the frame and closes the stream below.
 *
 * <p>Restrictions: a stream is used by one thread at a time; with {@code workers > 0} zstd runs its
 * own native threads, but output is still written by the caller's thread.
 *
 * <pre>{@code
 * try (OutputStream z = Zstd.compressing(out, 3, 2)) {
 *   source.transferTo(z);
 * }
 * }</pre>
 */
public final class Zstd {
  /** The name recorded for this compression in backup records. */
  public static final String NAME = "zstd";

  /** Lowest and highest level accepted by {@link #compressing}. */
  public static final int MIN_LEVEL = 1;

  public static final int MAX_LEVEL = 19;

  private Zstd() {}

  /**
   * A stream that compresses what is written into {@code out}.
   *
   * @param level 1 (fast) to 19 (small)
   * @param workers native worker threads; 0 compresses on the writing thread
   * @throws IllegalArgumentException for a level or worker count out of range
   * @throws IOException if zstd refuses the parameters
   */
  public static OutputStream compressing(OutputStream out, int level, int workers)
      throws IOException {
    if (level < MIN_LEVEL || level > MAX_LEVEL) {
      throw new IllegalArgumentException("zstd level must be 1 to 19, not " + level);
    }
    if (workers < 0) {
      throw new IllegalArgumentException("zstd workers must be 0 or more, not " + workers);
    }
    ZstdOutputStreamNoFinalizer z =
        new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE);
    try {
      z.setLevel(level);
      if (workers > 0) {
        z.setWorkers(workers);
      }
    } catch (IOException | RuntimeException e) {
      z.close();
      throw e;
    }
    return z;
  }

  /**
   * A stream of the decompressed content of {@code in}, which must hold one or more complete zstd
   * frames.
   *
   * @throws IOException if the decompressor cannot start; corrupt data fails later, on read
   */
  public static InputStream decompressing(InputStream in) throws IOException {
    return new ZstdInputStreamNoFinalizer(in, RecyclingBufferPool.INSTANCE);
  }
}
