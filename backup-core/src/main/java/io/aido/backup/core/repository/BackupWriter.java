package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.pipeline.PartOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * One backup being written. Parts are stored as they come, at {@code data/<kind>/<id>/<part>};
 * {@link #commit} writes the record last. Closing without committing abandons the backup: its parts
 * stay invisible and retention removes them after the grace period.
 *
 * <p>A writer that failed once stays failed: after a part or the commit failed, every further call
 * throws {@link IllegalStateException} naming the first failure. One part at a time.
 *
 * <p>Restrictions: part names are one path segment ({@code todo.dump}), unique within the backup; a
 * backup needs at least one part to be committed.
 */
public interface BackupWriter extends AutoCloseable {
  BackupId id();

  /**
   * Stores one part from a stream, read to its end but not closed.
   *
   * @throws io.aido.backup.core.pipeline.PipelineException if a stage failed; the part is not
   *     visible and the backup has failed
   */
  PartRecord writePart(String partName, InputStream source) throws IOException;

  /**
   * Opens one part for writing; close it before the next part or the commit. Aborting it fails the
   * backup.
   */
  PartOutputStream openPart(String partName) throws IOException;

  /**
   * Writes the record, making the backup visible.
   *
   * @param facts kind-specific facts, JSON-shaped (strings, numbers, booleans, lists, maps)
   * @throws IOException if a part is missing or has another size, or the record cannot be stored;
   *     the backup stays invisible
   */
  BackupRecord commit(Map<String, Object> facts) throws IOException;

  /** Ends the writer; without a commit, the backup is abandoned and stays invisible. */
  @Override
  void close() throws IOException;
}
