package io.aido.backup.postgres;

/**
 * The dump's structure is not what {@link CustomDumpOffsets} understands: not a failure, the copy
 * goes on unchanged.
 */
final class UnparseableDump extends Exception {
  private static final long serialVersionUID = 1L;
  final String reason;

  UnparseableDump(String reason) {
    super(reason, null, false, false);
    this.reason = reason;
  }
}
