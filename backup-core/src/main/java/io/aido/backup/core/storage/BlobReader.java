package io.aido.backup.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * The read side of a {@link BlobStore}: what verification and restore need, and nothing that can
 * change the repository.
 *
 * <p>Guarantees: only complete objects are ever listed, stat-ed or opened; an object that is being
 * written is invisible until its writer has finished.
 *
 * <p>Errors: a missing object raises {@link ObjectNotFoundException} from {@link #open}; every
 * other failure is an {@link IOException} whose message names the object and the store.
 */
public interface BlobReader {

  /**
   * Opens {@code length} bytes of an object starting at {@code offset}.
   *
   * @param offset first byte to read, {@code 0} for the start
   * @param length bytes to read, or {@code -1} for everything up to the end
   * @throws ObjectNotFoundException if there is no such object
   * @throws IOException if the store fails
   */
  InputStream open(ObjectKey key, long offset, long length) throws IOException;

  /** Opens a whole object; see {@link #open(ObjectKey, long, long)}. */
  default InputStream open(ObjectKey key) throws IOException {
    return open(key, 0, -1);
  }

  /** The object's size and time, or empty when it does not exist. */
  Optional<ObjectInfo> stat(ObjectKey key) throws IOException;

  /**
   * Every complete object whose name starts with {@code prefix} (a plain string prefix, so {@code
   * "catalog/"} lists the whole catalog), sorted by name. An empty prefix lists everything.
   */
  List<ObjectInfo> list(String prefix) throws IOException;

  /** A short, credential-free description for messages, such as {@code file:///var/backups}. */
  String describe();
}
