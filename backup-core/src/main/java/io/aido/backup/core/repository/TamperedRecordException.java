package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A backup's record did not authenticate: its content does not match its seal (the record was
 * edited), or it has no seal although the repository seals every record of a backup started as late
 * as this one (the seal was stripped). The backup is bad (verification exits 3); nothing of it may
 * be restored. The message names the backup.
 */
public final class TamperedRecordException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  private final transient BackupId backup;
  private final String problem;

  public TamperedRecordException(BackupId backup, String problem, Throwable cause) {
    super("backup " + backup + ": " + problem, cause);
    this.backup = Objects.requireNonNull(backup, "backup");
    this.problem = problem;
  }

  /** What is wrong, without the leading "backup ID: ". */
  public String problem() {
    return problem;
  }

  /** The backup whose record failed. */
  public BackupId backup() {
    return backup;
  }
}
