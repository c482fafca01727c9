package io.aido.backup.core.crypto;

import java.security.GeneralSecurityException;

/**
 * A key-encryption key could not be used: Cloud KMS could not be reached, refused the credentials
 * or the permission, or the key is disabled. Unlike {@link WrongKeyException} this says nothing
 * about whether the key is the right one; retrying later or fixing access may help.
 *
 * <p>The message names the key id and the cause's own description, never key material.
 */
public class KeyUnavailableException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  /**
   * @param what what was attempted, such as "unable to wrap the data key with key-encryption key
   *     'gcp-kms://...'"
   * @param cause the failure; its innermost message is appended
   */
  public KeyUnavailableException(String what, Throwable cause) {
    super(what + ": " + describe(cause), cause);
  }

  private static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : root.getMessage().strip();
    if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    String type = root.getClass().getSimpleName();
    return message.isEmpty() ? type : type + ": " + message;
  }
}
