package io.aido.backup.core.crypto;

import java.security.GeneralSecurityException;

/** A data key could not be unwrapped: the key-encryption key is not the one that wrapped it. */
public class WrongKeyException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public WrongKeyException(String recordedKekId, String configuredKekId) {
    super(
        "unable to unwrap the data key: it was wrapped by key-encryption key '"
            + recordedKekId
            + "' and the configured key '"
            + configuredKekId
            + "' does not open it (wrong key, or the wrapped key was altered)");
  }
}
