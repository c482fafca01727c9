package io.aido.backup.manifests;

/**
 * A manifest job that cannot go on, with a one-line message for the operator and the exit code it
 * maps to: 2 for bad input (no such backup, wrong key, unknown namespace), 1 for a failure (API
 * server unreachable, storage failing). Messages never contain a Secret's value.
 */
final class ManifestJobException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  private ManifestJobException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  static ManifestJobException badInput(String message) {
    return new ManifestJobException(2, message, null);
  }

  static ManifestJobException failed(String message, Throwable cause) {
    return new ManifestJobException(1, message, cause);
  }

  int exitCode() {
    return exitCode;
  }
}
