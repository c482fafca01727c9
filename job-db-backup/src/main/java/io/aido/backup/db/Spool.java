package io.aido.backup.db;

import io.aido.backup.postgres.wal.WalSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local file the segment being received waits in until it is stored: one at a time, removed
 * when the next is opened or the spool is closed.
 */
final class Spool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Spool.class);

  private final Path dir;
  private Path file;
  private FileChannel channel;

  Spool(Path dir) {
    this.dir = dir;
  }

  /** Removes the current file and opens an empty one for {@code segment}. */
  void open(WalSegment segment) throws IOException {
    close();
    try {
      file = Files.createTempFile(dir, "wal-" + segment.name() + "-", ".spool");
      channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new IOException("unable to create a spool file in '" + dir + "': " + e.getMessage(), e);
    }
  }

  /** Appends all of {@code bytes}. */
  void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /** Flushes what was written to the disk. */
  void force() throws IOException {
    channel.force(false);
  }

  /** The current file. */
  Path path() {
    return file;
  }

  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing spool: {}", e.getMessage());
      }
      channel = null;
    }
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("unable to remove spool file '{}': {}", file, e.getMessage());
      }
      file = null;
    }
  }
}
