package io.aido.backup.dapr;

/**
 * A Dapr job that cannot go on, with a one-line message and its exit code: 2 for bad input (no such
 * backup, a store that holds live data without {@code --clean}), 1 for a failure. Messages never
 * contain a password or a connection string.
 */
public final class DaprJobException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  private DaprJobException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Bad configuration or input: exit code 2. */
  public static DaprJobException badInput(String message) {
    return new DaprJobException(2, message, null);
  }

  /** The job failed: exit code 1. */
  public static DaprJobException failed(String message, Throwable cause) {
    return new DaprJobException(1, message, cause);
  }

  public int exitCode() {
    return exitCode;
  }
}
