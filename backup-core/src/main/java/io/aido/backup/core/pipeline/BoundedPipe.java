package io.aido.backup.core.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded hand-off of byte chunks from one thread to another, with failure travelling both ways.
 *
 * <p>Unlike {@link java.io.PipedInputStream}, which reports a dead writer as a clean end of stream
 * on some paths, this pipe ends only when the writer calls {@link #finish()}: a writer that {@link
 * #abortWriter aborts} (or never finishes) makes the reader throw, so a store reading from it never
 * completes an object. A reader that fails or stops early makes the writer throw on its next write.
 *
 * <p>Memory: at most {@code chunks} full chunks wait in the queue, plus the one each side holds.
 * Consumed chunks are recycled to the writer.
 *
 * <p>Besides the streams, the two ends can move bytes without copying them: {@link
 * #readFrom(InputStream, int)} reads from a source straight into the writer's chunk, and {@link
 * #nextSlice()} lends the reader a whole chunk. The bulk path of {@link Pipeline#store} uses both.
 */
final class BoundedPipe {
  private static final Chunk END = new Chunk(null, 0);
  private static final long POLL_MILLIS = 50;

  private record Chunk(byte[] bytes, int length) {}

  private final int chunkSize;
  private final BlockingQueue<Chunk> queue;
  private final BlockingQueue<byte[]> free;
  private final String name;
  private volatile Throwable writerFailure;
  private volatile Throwable readerFailure;
  private final Sink sink = new Sink();
  private final Source source = new Source();

  BoundedPipe(String name, int chunkSize, int chunks) {
    this.name = name;
    this.chunkSize = chunkSize;
    this.queue = new ArrayBlockingQueue<>(chunks);
    this.free = new ArrayBlockingQueue<>(chunks + 1);
  }

  /**
   * The writer's end. {@link OutputStream#close()} does not end the stream: {@link #finish()} does.
   */
  OutputStream sink() {
    return sink;
  }

  /** The reader's end. Closing it before the end stops the writer. */
  InputStream source() {
    return source;
  }

  /**
   * Writer side: one {@code in.read} of at most {@code max} bytes straight into the current chunk,
   * handing the chunk over when it is full.
   *
   * @return the bytes read, or -1 at the end of {@code in}
   * @throws SourceReadException wrapping what {@code in.read} threw
   * @throws IOException if the reader stopped or the pipe was aborted
   */
  int readFrom(InputStream in, int max) throws IOException {
    return sink.readFrom(in, max);
  }

  /**
   * Reader side: the next bytes, without copying, or {@code null} at the end. The slice stays valid
   * until the next call; mixing this with reads from {@link #source()} is not supported.
   */
  ByteBuffer nextSlice() throws IOException {
    return source.nextSlice();
  }

  /** What the source's read threw, told apart from a failure of the pipe itself. */
  static final class SourceReadException extends IOException {
    SourceReadException(Throwable cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** Hands over what is buffered and marks the end of the stream. */
  void finish() throws IOException {
    sink.flushChunk();
    put(END);
  }

  /** The writer gives up: the reader throws {@code reason} (wrapped) instead of seeing an end. */
  void abortWriter(Throwable reason) {
    if (writerFailure == null) {
      writerFailure = reason;
    }
  }

  /** Why the writer aborted, or null. */
  Throwable writerFailure() {
    return writerFailure;
  }

  /** The reader gives up: the writer throws on its next write. */
  void abortReader(Throwable reason) {
    if (readerFailure == null) {
      readerFailure = reason;
    }
    queue.clear();
  }

  private void put(Chunk chunk) throws IOException {
    try {
      while (!queue.offer(chunk, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        checkWriter();
      }
      checkWriter();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while handing data to " + name);
    }
  }

  private void checkWriter() throws IOException {
    Throwable r = readerFailure;
    if (r != null) {
      throw new IOException(name + " stopped reading: " + describe(r), r);
    }
    Throwable w = writerFailure;
    if (w != null) {
      throw new IOException(name + " was aborted: " + describe(w), w);
    }
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  private final class Sink extends OutputStream {
    private byte[] current;
    private int filled;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      checkWriter();
      while (len > 0) {
        if (current == null) {
          current = free.poll();
          if (current == null) {
            current = new byte[chunkSize];
          }
          filled = 0;
        }
        int n = Math.min(len, chunkSize - filled);
        System.arraycopy(b, off, current, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == chunkSize) {
          flushChunk();
        }
      }
    }

    int readFrom(InputStream in, int max) throws IOException {
      checkWriter();
      if (current == null) {
        current = free.poll();
        if (current == null) {
          current = new byte[chunkSize];
        }
        filled = 0;
      }
      int n;
      try {
        n = in.read(current, filled, Math.min(max, chunkSize - filled));
      } catch (IOException | RuntimeException e) {
        throw new SourceReadException(e);
      }
      if (n > 0) {
        filled += n;
        if (filled == chunkSize) {
          flushChunk();
        }
      }
      return n;
    }

    void flushChunk() throws IOException {
      if (current != null && filled > 0) {
        Chunk c = new Chunk(current, filled);
        current = null;
        filled = 0;
        put(c);
      }
    }

    @Override
    public void close() {
      // the end of the stream is signalled only by finish(), after every upstream stage succeeded
    }
  }

  private final class Source extends InputStream {
    private Chunk current;
    private int position;
    private boolean ended;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!next()) {
        return -1;
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current.bytes, position, b, off, n);
      position += n;
      if (position == current.length) {
        free.offer(current.bytes);
        current = null;
      }
      return n;
    }

    private byte[] lent;

    ByteBuffer nextSlice() throws IOException {
      if (lent != null) {
        free.offer(lent);
        lent = null;
      }
      if (!next()) {
        return null;
      }
      ByteBuffer slice = ByteBuffer.wrap(current.bytes, position, current.length - position);
      lent = current.bytes;
      current = null;
      return slice;
    }

    private boolean next() throws IOException {
      if (current != null) {
        return true;
      }
      if (ended) {
        return false;
      }
      try {
        Chunk c;
        do {
          checkReader();
          c = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } while (c == null);
        if (c == END) {
          // a writer that aborted after finishing still must not look like a clean end
          checkReader();
          ended = true;
          return false;
        }
        current = c;
        position = 0;
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading from " + name);
      }
    }

    private void checkReader() throws IOException {
      Throwable w = writerFailure;
      if (w != null) {
        throw new IOException(name + " was aborted: " + describe(w), w);
      }
      Throwable r = readerFailure;
      if (r != null) {
        throw new IOException(name + " was closed: " + describe(r), r);
      }
    }

    @Override
    public void close() {
      if (!ended) {
        abortReader(new IOException("the reader closed " + name + " before its end"));
      }
      current = null;
    }
  }
}
