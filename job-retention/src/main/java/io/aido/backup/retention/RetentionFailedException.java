package io.aido.backup.retention;

/**
 * The run ended with a refused plan or a store failure; the message is the run's summary. Whatever
 * was not removed is either whole and listed or an invisible leftover that the next run removes.
 */
final class RetentionFailedException extends Exception {
  private static final long serialVersionUID = 1L;

  RetentionFailedException(String summary) {
    super(summary);
  }
}
