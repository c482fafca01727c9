package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;

/**
 * A part of a committed backup is not what its record says: missing, tampered, truncated, renamed,
 * or with another size or SHA-256. The backup is bad (verification exits 3); retrying will not
 * help. The message names the backup and the part and says what is safe.
 */
public class CorruptPartException extends PartReadException {
  private static final long serialVersionUID = 1L;

  /** A problem whose text already says what is safe. */
  public CorruptPartException(BackupId backup, String part, String problem, Throwable cause) {
    super(backup, part, problem, null, cause);
  }

  /** A problem and, apart, what it means for the caller (see {@link #withoutOutcome()}). */
  public CorruptPartException(
      BackupId backup, String part, String problem, String outcome, Throwable cause) {
    super(backup, part, problem, outcome, cause);
  }
}
