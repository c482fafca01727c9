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
  }

  /** The key-encryption key id recorded with the wrapped data key. */
  public String recordedKekId() {
    return recordedKekId;
  }

  /** The id of the key-encryption key that failed to open it. */
  public String configuredKekId() {
    return configuredKekId;
  }
}
