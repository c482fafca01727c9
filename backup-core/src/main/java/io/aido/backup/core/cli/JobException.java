package io.aido.backup.core.cli;

import io.aido.backup.core.crypto.KeyEncryptionKey;
import java.security.GeneralSecurityException;

/**
 * A job that cannot go on, with a one-line message for the operator and the exit code it maps to:
 * {@value ExitCodes#USAGE} for bad configuration or input (no such backup or database, wrong key,
 * wrong credentials, too old a tool), {@value ExitCodes#FAILED} for a failure (a server or the
 * storage unreachable, a tool failing).
 *
 * <p>Thrown out of {@link JobCommand#run}, it becomes the line {@code error: <message>} on stderr
 * (and in the JSON log) and the run's exit code, with no stack trace; see {@link JobCommand}.
 *
 * <p>Restriction: the message is shown to the operator as it is, so it never holds a password, a
 * connection string or a Secret's value.
 *
 * <pre>{@code
 * throw JobException.badInput("no manifests backup " + id + " in the repository");
 * throw JobException.failed("unable to list the archived WAL: " + e.getMessage(), e);
 * }</pre>
 */
public final class JobException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  private JobException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Bad configuration or input: exit code {@value ExitCodes#USAGE}. */
  public static JobException badInput(String message) {
    return new JobException(ExitCodes.USAGE, message, null);
  }

  /** The job failed: exit code {@value ExitCodes#FAILED}. */
  public static JobException failed(String message, Throwable cause) {
    return new JobException(ExitCodes.FAILED, message, cause);
  }

  /**
   * The key-encryption key cannot be used (wrapping or unwrapping with it failed): exit code
   * {@value ExitCodes#FAILED}, naming the key.
   */
  public static JobException keyUnusable(KeyEncryptionKey kek, GeneralSecurityException cause) {
    return failed(
        "unable to use key-encryption key '" + kek.id() + "': " + cause.getMessage(), cause);
  }

  /**
   * {@value ExitCodes#FAILED} (failed) or {@value ExitCodes#USAGE} (bad configuration or input).
   */
  public int exitCode() {
    return exitCode;
  }
}
