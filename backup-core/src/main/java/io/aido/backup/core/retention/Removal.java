package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import java.util.Objects;

/**
 * What happened to one backup, or one set of leftover objects, that retention set out to remove.
 *
 * @param kind the backup's kind
 * @param id the backup's id
 * @param leftover whether these were objects without a record (an unfinished or half-removed
 *     backup) rather than a complete backup
 * @param outcome what happened
 * @param objects objects removed (or, in a dry run, that would be)
 * @param bytes bytes freed (or, in a dry run, that would be)
 * @param message what went wrong and what is safe, or an empty string
 */
public record Removal(
    BackupKind kind,
    BackupId id,
    boolean leftover,
    Outcome outcome,
    int objects,
    long bytes,
    String message) {

  /** The result of one removal. */
  public enum Outcome {
    /** Every object is gone. */
    REMOVED,
    /** A dry run: nothing was deleted. */
    WOULD_REMOVE,
    /** A lease appeared after the plan was made; the backup is kept. */
    KEPT_IN_USE,
    /**
     * The store keeps an object of the backup (a retention policy or hold, asked before deleting):
     * nothing was deleted and the backup stays whole and listed until the store allows it;
     * reported, not a failure.
     */
    KEPT_LOCKED,
    /** The store refused a deletion (retention policy, hold, permission); reported, not retried. */
    REFUSED,
    /** The store failed; what remains is listed in the message and is retried by the next run. */
    FAILED
  }

  public Removal {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    String what = (leftover ? "leftover " : "backup ") + kind.id() + " " + id;
    String counts = objects + " objects, " + bytes + " bytes";
    return switch (outcome) {
      case REMOVED -> "removed " + what + " (" + counts + ")";
      case WOULD_REMOVE -> "would remove " + what + " (" + counts + ")";
      case KEPT_IN_USE, KEPT_LOCKED -> "kept " + what + ": " + message;
      case REFUSED -> "refused " + what + " (" + counts + " removed): " + message;
      case FAILED -> "failed " + what + " (" + counts + " removed): " + message;
    };
  }
}
