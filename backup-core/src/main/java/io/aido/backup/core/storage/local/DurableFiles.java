package io.aido.backup.core.storage.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writing files and directories so that they survive a crash once a call returns: content forced to
 * disk, and every new directory entry forced into its parent. What {@link LocalBlobStore} builds
 * its all-or-nothing publication on.
 */
final class DurableFiles {
  private static final int BUFFER_SIZE = 64 * 1024;

  /**
   * Bytes written between two flushes to disk while an object is written: the page cache then
   * writes back as the content arrives, instead of all of it in the final force, which for a dump
   * of hundreds of MiB added a second or more after the last byte.
   */
  static final long FLUSH_INTERVAL = 32L << 20;

  private DurableFiles() {}

  /**
   * Writes {@code content} into the existing file {@code file} and forces it to disk.
   *
   * @return the bytes written
   * @throws IOException if reading the content or writing the file fails
   */
  static long write(InputStream content, Path file) throws IOException {
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      byte[] buffer = new byte[BUFFER_SIZE];
      long size = 0;
      long flushed = 0;
      int n;
      while ((n = content.read(buffer)) != -1) {
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
        size += n;
        if (size - flushed >= FLUSH_INTERVAL) {
          out.force(false);
          flushed = size;
        }
      }
      out.force(true);
      return size;
    }
  }

  /** Creates missing directories and forces each new entry into its parent directory. */
  static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(dir);
      if (parent != null) {
        forceDirectory(parent);
      }
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /**
   * Best-effort removal during cleanup: a failure here must not hide the failure or success being
   * reported (a temporary file left in INCOMING is never listed).
   */
  static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // nothing more to do; see above
    }
  }
}
