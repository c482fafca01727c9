package io.aido.backup.core.crypto;

import java.security.GeneralSecurityException;

/**
 * A data key could not be unwrapped: the key-encryption key is not one that wrapped it, or the
 * wrapped key was altered. The message names both key ids and never holds key material.
 */
public class WrongKeyException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  private final String recordedKekId;
  private final String configuredKekId;
  private final boolean misplaced;

  /**
   * @param recordedKekId the id stored with the wrapped key
   * @param configuredKekId the id of the key that was tried
   */
  public WrongKeyException(String recordedKekId, String configuredKekId) {
    super(
        "unable to unwrap the data key: it was wrapped by key-encryption key '"
            + recordedKekId
            + "' and the configured key '"
            + configuredKekId
            + "' does not open it ("
            + (recordedKekId.equals(configuredKekId)
                ? "same key id, so the wrapped key was altered or the keyset changed"
                : "wrong key, or the wrapped key was altered")
            + ")");
    this.recordedKekId = recordedKekId;
    this.configuredKekId = configuredKekId;
    this.misplaced = false;
  }

  private WrongKeyException(String message, String recordedKekId, boolean misplaced) {
    super(message);
    this.recordedKekId = recordedKekId;
    this.configuredKekId = null;
    this.misplaced = misplaced;
  }

  /**
   * A wrapped key found in the record of {@code foundAt} that belongs to {@code boundTo}: copied or
   * swapped between records.
   */
  static WrongKeyException misplaced(String recordedKekId, String boundTo, String foundAt) {
    return new WrongKeyException(
        "unable to unwrap the data key of "
            + foundAt
            + ": the stored wrapped key belongs to "
            + boundTo
            + " (copied or swapped between records: tampered); nothing was decrypted",
        recordedKekId,
        true);
  }

  /** Whether the wrapped key belongs to another backup or object than the one it was found in. */
  public boolean misplaced() {
    return misplaced;
  }

  /** The key-encryption key id recorded with the wrapped data key. */
  public String recordedKekId() {
    return recordedKekId;
  }

  /** The id of the key-encryption key that failed to open it; null when {@link #misplaced()}. */
  public String configuredKekId() {
    return configuredKekId;
  }
}
