package io.aido.backup.core.crypto;

import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.util.Objects;

/**
 * Ciphertext failed authentication: the object was altered, truncated, stored under another name,
 * or encrypted with another data key. Every plaintext byte before {@link #offset()} was
 * authenticated; none from there on was released.
 *
 * <p>A failure to read the ciphertext itself (storage, network) is never reported as this
 * exception: it propagates as the storage layer's own {@link IOException}.
 */
public class DecryptionFailedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;
  private final long offset;

  /**
   * @param key the object that failed
   * @param offset how many plaintext bytes had been released, all of them authenticated
   * @param cause Tink's failure, for the log; its message holds no key material
   */
  public DecryptionFailedException(ObjectKey key, long offset, Throwable cause) {
    super(
        "unable to decrypt object '"
            + Objects.requireNonNull(key, "key")
            + "': authentication failed at plaintext byte "
            + offset
            + " (tampered, truncated, renamed, or wrong key); no plaintext from byte "
            + offset
            + " on was released",
        cause);
    this.key = key;
    this.offset = offset;
  }

  /** The object that failed. */
  public ObjectKey key() {
    return key;
  }

  /** The number of plaintext bytes released, all authenticated, before the failure. */
  public long offset() {
    return offset;
  }
}
