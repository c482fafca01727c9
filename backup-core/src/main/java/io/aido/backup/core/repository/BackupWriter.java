package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.pipeline.PartOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * One backup being written. Parts are stored as they come; {@link #commit} writes the record last.
 * Closing without committing abandons the backup: its parts stay invisible and retention removes
 * them after the grace period. TODO(pipeline helper).
 */
public interface BackupWriter extends AutoCloseable {
  BackupId id();

  /** Stores one part from a stream. */
  PartRecord writePart(String partName, InputStream source) throws IOException;

  /** Opens one part for writing; close it before the next part or the commit. */
  PartOutputStream openPart(String partName) throws IOException;

  /** Writes the record, making the backup visible. */
  BackupRecord commit(Map<String, Object> facts) throws IOException;

  @Override
  void close() throws IOException;
}
