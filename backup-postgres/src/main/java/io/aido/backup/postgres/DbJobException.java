package io.aido.backup.postgres;

/**
 * A database job that cannot go on, with a one-line message for the operator and the exit code it
 * maps to: 2 for bad configuration or input (unknown database, wrong credentials, too old a
 * pg_dump), 1 for a failure (server unreachable, a tool failing, storage failing).
 *
 * <p>Messages never contain a password.
 */
public final class DbJobException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  private DbJobException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Bad configuration or input: exit code 2. */
  public static DbJobException badInput(String message) {
    return new DbJobException(2, message, null);
  }

  /** The job failed: exit code 1. */
  public static DbJobException failed(String message, Throwable cause) {
    return new DbJobException(1, message, cause);
  }

  /** 1 (failed) or 2 (bad configuration or input). */
  public int exitCode() {
    return exitCode;
  }
}
