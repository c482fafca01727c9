package io.aido.backup.core.crypto;

import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpResponseException;
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
   * @param cause the failure; the HTTP status and Cloud KMS's explanation, or else the innermost
   *     cause's first message line, is appended
   */
  public KeyUnavailableException(String what, Throwable cause) {
    super(what + ": " + describe(cause), cause);
  }

  private static String describe(Throwable cause) {
    Throwable root = cause;
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof GoogleJsonResponseException http) {
        String detail = http.getDetails() == null ? null : http.getDetails().getMessage();
        return "Cloud KMS answered HTTP "
            + http.getStatusCode()
            + (detail == null ? "" : ": " + firstLine(detail));
      }
      if (t instanceof HttpResponseException http) {
        return "Cloud KMS answered HTTP " + http.getStatusCode();
      }
      root = t;
    }
    String message = root.getMessage() == null ? "" : firstLine(root.getMessage());
    String type = root.getClass().getSimpleName();
    return message.isEmpty() ? type : type + ": " + message;
  }

  private static String firstLine(String text) {
    String line = text.strip().lines().findFirst().orElse("");
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }
}
