package io.aido.backup.core.pipeline;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A minimal store that streams objects to files under a directory (temporary name, then rename),
 * for tests whose data does not fit in memory. A stand-in until the real filesystem store lands in
 * this branch; it skips fsync and ranges beyond what the tests use.
 */
final class DirectoryBlobStore implements BlobStore {
  private final Path root;

  DirectoryBlobStore(Path root) {
    this.root = root;
  }

  private Path path(ObjectKey key) {
    return root.resolve(key.name());
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    Path target = path(key);
    if (Files.exists(target)) {
      throw new ObjectExistsException(key, describe());
    }
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), ".upload-", ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        content.transferTo(out);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(temp);
      throw new ObjectExistsException(key, describe());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw new IOException(
          StorageMessages.failed("create", key, describe(), StorageMessages.cause(e)), e);
    }
    return stat(key).orElseThrow();
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    if (offset != 0 || length != -1) {
      throw new UnsupportedOperationException("ranges are not needed by these tests");
    }
    try {
      return Files.newInputStream(path(key));
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(key, describe());
    }
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    Path p = path(key);
    if (!Files.isRegularFile(p)) {
      return Optional.empty();
    }
    return Optional.of(
        new ObjectInfo(key, Files.size(p), Files.getLastModifiedTime(p).toInstant()));
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .map(p -> ObjectKey.of(root.relativize(p).toString()))
          .filter(k -> k.startsWith(prefix))
          .sorted()
          .map(
              k -> {
                try {
                  return stat(k).orElseThrow();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              })
          .toList();
    }
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    Files.deleteIfExists(path(key));
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }
}
