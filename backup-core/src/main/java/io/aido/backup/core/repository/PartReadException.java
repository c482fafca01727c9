package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import java.io.IOException;

/**
 * Reading a part of a committed backup failed. The message names the backup and the part, says what
 * went wrong and, by default, what that means for the caller ("nothing was restored"). A caller for
 * whom that outcome does not hold (it had already written what it read, as an unpack into a data
 * directory does) tells its own outcome with {@link #withoutOutcome()}, so a message never claims
 * what did not hold.
 *
 * <p>{@link CorruptPartException}, its subclass, means the backup itself is bad; this class alone
 * means the store failed (the backup may be fine: retry).
 */
public class PartReadException extends IOException {
  private static final long serialVersionUID = 1L;

  private final BackupId backup;
  private final String part;
  private final String problem;

  /**
   * @param problem what went wrong
   * @param outcome what it means for the caller, such as "nothing was restored"; may be null
   */
  public PartReadException(
      BackupId backup, String part, String problem, String outcome, Throwable cause) {
    super(
        "backup "
            + backup
            + " part '"
            + part
            + "': "
            + problem
            + (outcome == null || outcome.isEmpty() ? "" : "; " + outcome),
        cause);
    this.backup = backup;
    this.part = part;
    this.problem = problem;
  }

  public BackupId backup() {
    return backup;
  }

  public String part() {
    return part;
  }

  /** The message without what it means for the caller: "backup X part 'p': what went wrong". */
  public String withoutOutcome() {
    return "backup " + backup + " part '" + part + "': " + problem;
  }

  /** {@link #withoutOutcome()} of a read failure, else the message of {@code e}. */
  public static String withoutOutcome(Throwable e) {
    return e instanceof PartReadException p ? p.withoutOutcome() : e.getMessage();
  }
}
