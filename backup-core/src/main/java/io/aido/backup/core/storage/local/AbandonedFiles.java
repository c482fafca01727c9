package io.aido.backup.core.storage.local;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;

/**
 * What killed uploads leave in a {@link LocalBlobStore}: temporary files in {@value
 * LocalBlobStore#INCOMING} and empty directories; {@link LocalBlobStore#removeAbandonedUploads}.
 */
final class AbandonedFiles {
  private AbandonedFiles() {}

  /**
   * Removes the directories under {@code root} (not {@value LocalBlobStore#INCOMING}) that are
   * empty and last changed before {@code olderThan}.
   */
  static void removeEmptyDirectories(Path root, String description, Instant olderThan)
      throws IOException {
    Path top;
    try {
      top = root.toRealPath(); // the root may be a symbolic link, which a walk would not enter
    } catch (NoSuchFileException e) {
      return;
    }
    Path incoming = top.resolve(LocalBlobStore.INCOMING);
    try {
      Files.walkFileTree(
          top,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return dir.equals(incoming) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (!dir.equals(top)
                  && Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS)
                      .toInstant()
                      .isBefore(olderThan)) {
                try {
                  Files.delete(dir);
                } catch (DirectoryNotEmptyException | NoSuchFileException notEmptyOrGone) {
                  // holds objects, or another run removed it
                }
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new IOException(
          "unable to remove empty directories in " + description + ": " + e.getMessage(), e);
    }
  }

  /**
   * Removes the regular files in {@value LocalBlobStore#INCOMING} older than {@code olderThan};
   * returns their bytes.
   */
  static long removeTemporaryFiles(Path root, String description, Instant olderThan)
      throws IOException {
    Path incoming = root.resolve(LocalBlobStore.INCOMING);
    if (!Files.isDirectory(incoming, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    long freed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(incoming)) {
      for (Path f : files) {
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue; // its upload just finished
        }
        if (a.isRegularFile() && a.lastModifiedTime().toInstant().isBefore(olderThan)) {
          Files.deleteIfExists(f);
          freed += a.size();
        }
      }
    } catch (IOException e) {
      throw new IOException(
          "unable to remove abandoned uploads in " + description + ": " + e.getMessage(), e);
    }
    return freed;
  }
}
