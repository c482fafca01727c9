package io.aido.backup.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads a dump while writing every byte read to a file, in order, so the file is a byte-for-byte
 * copy of what was parsed; tells the listener each time it flushed to the file.
 */
final class DumpTee {
  private final InputStream in;
  private final FileChannel out;
  private final CustomDumpOffsets.Listener listener;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
  private long position;

  DumpTee(InputStream in, FileChannel out, CustomDumpOffsets.Listener listener) {
    this.in = in;
    this.out = out;
    this.listener = listener;
  }

  /** The number of bytes read (and so the file position of the next one). */
  long position() {
    return position;
  }

  /** The next byte, or -1 at the end of the dump. */
  int readByteOrEnd() throws IOException {
    int b = in.read();
    if (b >= 0) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      buffer.put((byte) b);
      position++;
    }
    return b;
  }

  /** The next byte, which a structure being parsed needs. */
  int readByte() throws IOException, UnparseableDump {
    int b = readByteOrEnd();
    if (b < 0) {
      throw new UnparseableDump("ends at byte " + position + " within a structure");
    }
    return b;
  }

  /** Copies the next {@code n} bytes without looking at them. */
  void copy(long n) throws IOException, UnparseableDump {
    while (n > 0) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      int r =
          in.read(
              buffer.array(),
              buffer.arrayOffset() + buffer.position(),
              (int) Math.min(n, buffer.remaining()));
      if (r < 0) {
        throw new UnparseableDump("ends at byte " + position + " within a chunk");
      }
      buffer.position(buffer.position() + r);
      position += r;
      n -= r;
    }
  }

  /** Copies the rest of the dump without looking at it. */
  void drain() throws IOException {
    while (true) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      int r = in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
      if (r < 0) {
        return;
      }
      buffer.position(buffer.position() + r);
      position += r;
    }
  }

  /** Writes what is buffered to the file and tells the listener how far the file goes. */
  void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
    buffer.clear();
    listener.flushed(position);
  }
}
