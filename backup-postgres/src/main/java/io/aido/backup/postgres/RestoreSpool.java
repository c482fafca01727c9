package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.observability.ByteSizes;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local file that holds one dump's plaintext while {@code pg_restore --jobs} reads it (a parallel
 * restore needs a file it can seek in, not a stream).
 *
 * <p>Guarantees: {@link #open} checks the directory has room for the dump plus {@link #MARGIN}
 * before creating anything, and removes the leftovers of earlier runs that were killed; the file is
 * named {@code restore-<pid>-<n>.dump} and held under an exclusive file lock for as long as it is
 * open, so a leftover is recognised by its lock being free (the kernel releases it when a process
 * dies, even by SIGKILL; a pid alone is not enough, containers reuse pid 1); {@link #close} deletes
 * the file.
 *
 * <p>Restriction: the spool holds plaintext; it is created owner-only ({@code rw-------}) where the
 * filesystem supports POSIX modes, and its directory should be on the restoring pod's own volume.
 *
 * <pre>{@code
 * try (RestoreSpool spool = RestoreSpool.open(dir, part.plaintextSize(), "backup " + id)) {
 *   spool.fill(reader.openPart(part));
 *   PgRestore.restoreFile(pg, tools, spool.path(), temporary, options, 2, true);
 * }
 * }</pre>
 */
public final class RestoreSpool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreSpool.class);

  /** Room kept free beyond the dump itself: 64 MiB. */
  public static final long MARGIN = 64L << 20;

  private static final String PREFIX = "restore-";
  private static final String SUFFIX = ".dump";
  private static final int COPY_BUFFER = 1 << 18;

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private RestoreSpool(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Removes leftovers in {@code dir}, checks it has room for {@code size} bytes plus {@link
   * #MARGIN}, and creates an empty, locked spool file.
   *
   * @param what names the dump for messages ({@code backup 20261124T020000Z-a1b2c3})
   * @throws JobException exit code 2 when {@code dir} is not a writable directory or lacks room
   *     (nothing was created), 1 when creating the file fails
   */
  public static RestoreSpool open(Path dir, long size, String what) throws JobException {
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw JobException.badInput(
          "unable to spool "
              + what
              + " into '"
              + dir
              + "': not a writable directory; set --spool-dir to one; nothing was restored");
    }
    removeLeftovers(dir);
    long usable;
    try {
      usable = Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      throw JobException.failed(
          "unable to spool " + what + " into '" + dir + "': " + e.getMessage(), e);
    }
    long needed = size + MARGIN;
    if (usable < needed) {
      throw JobException.badInput(
          "unable to spool "
              + what
              + " into '"
              + dir
              + "': it needs "
              + ByteSizes.human(needed)
              + " (the dump's "
              + ByteSizes.human(size)
              + " and a margin of "
              + ByteSizes.human(MARGIN)
              + ") and the filesystem has "
              + ByteSizes.human(usable)
              + " free; choose another --spool-dir or restore with --jobs 1; nothing was restored");
    }
    Path path = null;
    FileChannel channel = null;
    try {
      path = createFile(dir);
      channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = channel.lock();
      return new RestoreSpool(path, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      deleteQuietly(path);
      throw JobException.failed(
          "unable to create a spool file for " + what + " in '" + dir + "': " + e.getMessage(), e);
    }
  }

  /**
   * Removes every spool file in {@code dir} that no running restore holds (the leftovers of runs
   * that were killed), and returns them.
   */
  public static List<Path> removeLeftovers(Path dir) {
    List<Path> removed = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path file : files) {
        if (abandoned(file)) {
          deleteQuietly(file);
          if (!Files.exists(file)) {
            LOG.warn("removed spool file '{}' left behind by a restore that was killed", file);
            removed.add(file);
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("unable to look for leftover spool files in '{}': {}", dir, e.getMessage());
    }
    return removed;
  }

  private static boolean abandoned(Path file) {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      FileLock lock = c.tryLock();
      if (lock == null) {
        return false;
      }
      lock.release();
      return true;
    } catch (OverlappingFileLockException e) {
      return false; // held by this very process: in use
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      LOG.warn("unable to check spool file '{}': {}", file, e.getMessage());
      return false;
    }
  }

  private static Path createFile(Path dir) throws IOException {
    String name = PREFIX + ProcessHandle.current().pid() + "-";
    try {
      return Files.createTempFile(
          dir,
          name,
          SUFFIX,
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return Files.createTempFile(dir, name, SUFFIX);
    }
  }

  /** The spool file, for {@code pg_restore}. */
  public Path path() {
    return path;
  }

  /**
   * Copies {@code dump} (a custom-format archive; its checks against the record run as it ends)
   * into the spool and writes the data offsets into its table of contents where {@code pg_dump}
   * could not (see {@link CustomDumpOffsets}). Closes {@code dump}. The file is not forced to disk:
   * it is read back at once and worthless after a crash.
   *
   * @return what was copied and whether the offsets were written
   * @throws IOException if reading {@code dump} or writing the file fails; the spool's content is
   *     then unusable
   */
  public CustomDumpOffsets.Result fill(InputStream dump) throws IOException {
    try (InputStream in = dump) {
      return CustomDumpOffsets.copy(in, channel);
    }
  }

  /**
   * As {@link #fill(InputStream)}, telling {@code listener} where the table of contents and each
   * data block lie as they reach the file, so that a reader can follow the copy.
   */
  public CustomDumpOffsets.Result fill(InputStream dump, CustomDumpOffsets.Listener listener)
      throws IOException {
    try (InputStream in = dump) {
      return CustomDumpOffsets.copy(in, channel, listener);
    }
  }

  /**
   * Reads {@code length} bytes of the spool from {@code position} into {@code buffer} (from its
   * position), for a reader following {@link #fill}; only bytes already reported flushed are
   * meaningful.
   *
   * @throws IOException if reading fails or the file ends first
   */
  public void read(long position, ByteBuffer buffer) throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new EOFException("spool '" + path + "' ends at byte " + at);
      }
      at += n;
    }
  }

  /** Reads {@code length} bytes from {@code position}, as {@link #read(long, ByteBuffer)}. */
  byte[] read(long position, long length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
    read(position, b);
    return b.array();
  }

  /**
   * Writes the bytes from {@code from} to {@code to} to {@code out}, a bounded buffer at a time, as
   * {@link #read(long, ByteBuffer)}.
   */
  void copy(long from, long to, OutputStream out) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(COPY_BUFFER);
    for (long at = from; at < to; ) {
      b.clear().limit((int) Math.min(COPY_BUFFER, to - at));
      read(at, b);
      out.write(b.array(), 0, b.limit());
      at += b.limit();
    }
  }

  /** Releases the lock and deletes the file. */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      LOG.debug("releasing spool lock: {}", e.getMessage());
    }
    closeQuietly(channel);
    deleteQuietly(path);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("closing spool: {}", e.getMessage());
    }
  }

  private static void deleteQuietly(Path path) {
    if (path == null) {
      return;
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("unable to remove spool file '{}': {}", path, e.getMessage());
    }
  }
}
