package io.aido.backup.core.storage.local;

import io.aido.backup.core.storage.AbandonedUploads;
import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectChangedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A {@link BlobStore} in a directory tree: the object {@code data/x/part-0} is the file {@code
 * <root>/data/x/part-0}. Its URL is {@code file:///absolute/path}.
 *
 * <p>Guarantees, beyond those of {@link BlobStore}:
 *
 * <ul>
 *   <li>All or nothing: content is written to a temporary file in {@value #INCOMING} under the root
 *       (same filesystem), forced to disk, then published with a hard link, which unlike {@code
 *       rename(2)} fails instead of replacing an existing file; the directory is forced to disk
 *       afterwards. A process killed mid-write leaves only a file in {@value #INCOMING}, which no
 *       listing, stat or open ever shows. The name contains a backslash, which {@link ObjectKey}
 *       forbids, so no real object can ever live there.
 *   <li>Listing walks only the directories a prefix can reach, not the whole tree.
 *   <li>Objects are readable by their owner only (mode 0600 on POSIX filesystems): backups are
 *       encrypted, but a repository is still nobody else's business.
 * </ul>
 *
 * <p>Restrictions: the filesystem must support hard links (ext4, xfs, NFS and the usual Kubernetes
 * volumes do). Because a name cannot be both a file and a directory, the keys {@code a} and {@code
 * a/b} cannot both exist here although a bucket allows it; creating the second fails with an {@link
 * IOException}. Temporary files of uploads that never finished are removed by {@link
 * #removeAbandonedUploads} (retention calls it). The root may be a symbolic link (to a mounted
 * volume, say); links inside the repository are not objects.
 *
 * <pre>{@code
 * BlobStore store = new LocalBlobStore(Path.of("/var/backups"));
 * store.create(ObjectKey.of("format.json"), in);
 * }</pre>
 */
public final class LocalBlobStore implements BlobStore, AtomicReplace, AbandonedUploads {

  /** The directory under the root that holds uploads in progress; never a valid key segment. */
  public static final String INCOMING = ".incoming\\";

  private final Path root;
  private final String description;

  /**
   * A store rooted at {@code root}, which need not exist yet: the first create makes it.
   *
   * @throws IllegalArgumentException if {@code root} is not absolute
   */
  public LocalBlobStore(Path root) {
    if (!root.isAbsolute()) {
      throw new IllegalArgumentException("repository directory must be absolute: " + root);
    }
    this.root = root.normalize();
    String uri = this.root.toUri().toString();
    this.description =
        uri.endsWith("/") && uri.length() > "file:///".length()
            ? uri.substring(0, uri.length() - 1)
            : uri;
  }

  /** The repository's root directory. */
  public Path root() {
    return root;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    Path target = pathOf(key);
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(
          StorageMessages.failed(
              "create", key, description, "a directory of that name holds other objects"));
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new ObjectExistsException(key, description);
    }
    Path incoming = root.resolve(INCOMING);
    Path temp;
    try {
      DurableFiles.createDirectories(incoming);
      temp = Files.createTempFile(incoming, "", ".part");
    } catch (IOException e) {
      throw failed("create", key, e);
    }
    try {
      long size = writeDurably(key, content, temp);
      publish(key, temp, target);
      return new ObjectInfo(key, size, Files.getLastModifiedTime(target).toInstant());
    } finally {
      DurableFiles.deleteQuietly(temp);
    }
  }

  /**
   * Writes the new content to a temporary file in {@value #INCOMING}, forces it to disk, and
   * renames it over the object ({@code rename(2)} replaces atomically), then forces the directory.
   * A crash before the rename leaves the old object and a temporary file that {@link
   * #removeAbandonedUploads} removes.
   */
  @Override
  public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
      throws IOException {
    Path target = pathOf(key);
    checkUnchanged(key, expected);
    Path incoming = root.resolve(INCOMING);
    Path temp;
    try {
      DurableFiles.createDirectories(incoming);
      temp = Files.createTempFile(incoming, "", ".part");
    } catch (IOException e) {
      throw failed("replace", key, e);
    }
    try {
      long size = writeDurably(key, content, temp);
      checkUnchanged(key, expected);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        DurableFiles.forceDirectory(target.getParent());
      } catch (AccessDeniedException e) {
        throw new DeletionRefusedException(key, description, "permission denied");
      } catch (IOException e) {
        throw failed("replace", key, e);
      }
      return new ObjectInfo(key, size, Files.getLastModifiedTime(target).toInstant());
    } finally {
      DurableFiles.deleteQuietly(temp);
    }
  }

  private void checkUnchanged(ObjectKey key, ObjectInfo expected) throws IOException {
    Optional<ObjectInfo> now = stat(key);
    if (now.isEmpty()) {
      throw new ObjectNotFoundException(key, description);
    }
    if (now.get().size() != expected.size() || !now.get().created().equals(expected.created())) {
      throw new ObjectChangedException(key, description);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: the temporary files in {@value #INCOMING} older than {@code olderThan}, and the empty
   * directories last changed before it, which a run killed between creating an object's directory
   * and linking the object into it leaves (a newer one may be about to be filled, and stays).
   */
  @Override
  public long removeAbandonedUploads(Instant olderThan) throws IOException {
    long freed = AbandonedFiles.removeTemporaryFiles(root, description, olderThan);
    AbandonedFiles.removeEmptyDirectories(root, description, olderThan);
    return freed;
  }

  private long writeDurably(ObjectKey key, InputStream content, Path temp) throws IOException {
    try {
      return DurableFiles.write(content, temp);
    } catch (IOException e) {
      throw failed("create", key, e);
    }
  }

  private void publish(ObjectKey key, Path temp, Path target) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        DurableFiles.createDirectories(target.getParent());
      } catch (IOException e) {
        throw failed("create", key, e);
      }
      try {
        Files.createLink(target, temp);
        break;
      } catch (FileAlreadyExistsException e) {
        throw new ObjectExistsException(key, description);
      } catch (NoSuchFileException e) {
        // a delete pruned the directory, empty, between its creation and the link: create it again
        if (attempt == 3) {
          throw failed("create", key, e);
        }
      } catch (IOException | UnsupportedOperationException e) {
        throw failed("create", key, e);
      }
    }
    try {
      DurableFiles.forceDirectory(target.getParent());
    } catch (IOException e) {
      // the name may not survive a crash, so take it back rather than report a visible object as
      // failed
      DurableFiles.deleteQuietly(target);
      throw failed("create", key, e);
    }
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    checkRange(offset, length);
    Path path = pathOf(key);
    if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new ObjectNotFoundException(key, description);
    }
    FileChannel in;
    try {
      in = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(key, description);
    } catch (IOException e) {
      throw failed("open", key, e);
    }
    try {
      in.position(offset);
      InputStream stream = Channels.newInputStream(in);
      return length < 0 ? stream : new BoundedInputStream(stream, length);
    } catch (IOException e) {
      in.close();
      throw failed("open", key, e);
    }
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    try {
      BasicFileAttributes a =
          Files.readAttributes(pathOf(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile()
          ? Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant()))
          : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw failed("stat", key, e);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    int slash = prefix.lastIndexOf('/');
    String base = slash < 0 ? "" : prefix.substring(0, slash);
    Path start = root;
    if (!base.isEmpty()) {
      try {
        start = pathOf(ObjectKey.of(base));
      } catch (IllegalArgumentException e) {
        // no key has an empty, '.' or '..' segment, so such a prefix matches nothing
        return List.of();
      }
    }
    List<ObjectInfo> found = new ArrayList<>();
    try {
      if (!Files.isDirectory(start)) {
        return List.of();
      }
      // a walk does not descend into a symbolic link, so start from the real directory: the
      // repository root is often a link to a mounted volume
      Files.walkFileTree(
          start.toRealPath(), new PrefixCollector(start.toRealPath(), base, prefix, found));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new IOException(
          StorageMessages.listFailed(prefix, description, StorageMessages.cause(e)), e);
    }
    Collections.sort(found, (a, b) -> a.key().compareTo(b.key()));
    return found;
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    Path path = pathOf(key);
    if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.deleteIfExists(path);
    } catch (AccessDeniedException e) {
      throw new DeletionRefusedException(key, description, "permission denied");
    } catch (IOException e) {
      throw failed("delete", key, e);
    }
    pruneEmptyParents(path.getParent());
  }

  /**
   * Removes the directories that deleting an object left empty, up to the root (never the root), so
   * removed backups leave no empty {@code data/<kind>/<id>/} behind. Best effort: a directory that
   * a writer fills meanwhile is not empty and stays, and a writer whose directory was removed
   * between its creation and the link creates it again ({@link #publish}).
   */
  private void pruneEmptyParents(Path dir) {
    Path d = dir;
    while (d != null && d.startsWith(root) && !d.equals(root)) {
      try {
        Files.delete(d);
      } catch (IOException e) {
        return; // not empty (or already gone, or not ours to remove): stop here
      }
      d = d.getParent();
    }
  }

  @Override
  public String describe() {
    return description;
  }

  private Path pathOf(ObjectKey key) {
    return root.resolve(key.name());
  }

  private IOException failed(String verb, ObjectKey key, Exception e) {
    return new IOException(
        StorageMessages.failed(verb, key, description, StorageMessages.cause(e)), e);
  }

  static void checkRange(long offset, long length) {
    if (offset < 0 || length < -1) {
      throw new IllegalArgumentException("invalid range: offset " + offset + ", length " + length);
    }
  }
}
