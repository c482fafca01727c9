package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import java.io.IOException;

/**
 * A part of a committed backup is not what its record says: missing, tampered, truncated, renamed,
 * or with another size or SHA-256. The backup is bad (verification exits 3); retrying will not
 * help. The message names the backup and the part and says what is safe.
 */
public class CorruptPartException extends IOException {
  private static final long serialVersionUID = 1L;

  private final BackupId backup;
  private final String part;

  public CorruptPartException(BackupId backup, String part, String problem, Throwable cause) {
    super("backup " + backup + " part '" + part + "': " + problem, cause);
    this.backup = backup;
    this.part = part;
  }

  public BackupId backup() {
    return backup;
  }

  public String part() {
    return part;
  }
}
