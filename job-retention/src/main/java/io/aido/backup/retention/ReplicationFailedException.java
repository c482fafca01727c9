package io.aido.backup.retention;

/**
 * A replicate run could not copy every backup or WAL object; the message names them. The backups it
 * did copy are complete in the secondary; a failed one has no record there and the next run tries
 * it again.
 */
final class ReplicationFailedException extends Exception {
  private static final long serialVersionUID = 1L;

  ReplicationFailedException(String message) {
    super(message);
  }
}
