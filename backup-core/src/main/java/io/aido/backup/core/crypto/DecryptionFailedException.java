package io.aido.backup.core.crypto;

import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;

/**
 * Ciphertext failed authentication: the object was altered, truncated, stored under another name,
 * or encrypted with another key. No plaintext past {@link #offset()} was released.
 */
public class DecryptionFailedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;
  private final long offset;

  public DecryptionFailedException(ObjectKey key, long offset, Throwable cause) {
    super(
        "object '"
            + key
            + "': authentication failed at plaintext byte "
            + offset
            + " (tampered, truncated, renamed, or wrong key)",
        cause);
    this.key = key;
    this.offset = offset;
  }

  public ObjectKey key() {
    return key;
  }

  public long offset() {
    return offset;
  }
}
