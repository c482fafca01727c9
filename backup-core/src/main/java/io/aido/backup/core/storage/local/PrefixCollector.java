package io.aido.backup.core.storage.local;

import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/** Gathers the regular files under a prefix, pruning directories that cannot match it. */
final class PrefixCollector extends SimpleFileVisitor<Path> {
  private final Path start;
  private final String base;
  private final String prefix;
  private final List<ObjectInfo> found;

  /**
   * @param start the real directory the walk begins in
   * @param base the object name of {@code start}, empty for the root
   */
  PrefixCollector(Path start, String base, String prefix, List<ObjectInfo> found) {
    this.start = start;
    this.base = base;
    this.prefix = prefix;
    this.found = found;
  }

  @Override
  public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
    if (dir.equals(start)) {
      return FileVisitResult.CONTINUE;
    }
    String name = nameOf(dir) + "/";
    boolean reachable = name.startsWith(prefix) || prefix.startsWith(name);
    // INCOMING and any other name with a backslash can hold no object
    return reachable && !name.contains("\\")
        ? FileVisitResult.CONTINUE
        : FileVisitResult.SKIP_SUBTREE;
  }

  @Override
  public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
    if (!attrs.isRegularFile()) {
      return FileVisitResult.CONTINUE;
    }
    String name = nameOf(file);
    if (name.startsWith(prefix)) {
      try {
        found.add(
            new ObjectInfo(ObjectKey.of(name), attrs.size(), attrs.lastModifiedTime().toInstant()));
      } catch (IllegalArgumentException e) {
        // a stray file whose name no key can have (control character, backslash) is no object
      }
    }
    return FileVisitResult.CONTINUE;
  }

  @Override
  public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
    if (e instanceof NoSuchFileException) {
      return FileVisitResult.CONTINUE; // deleted while we walked
    }
    throw e;
  }

  private String nameOf(Path p) {
    StringBuilder b = new StringBuilder(base);
    for (Path segment : start.relativize(p)) {
      if (b.length() > 0) {
        b.append('/');
      }
      b.append(segment);
    }
    return b.toString();
  }
}
