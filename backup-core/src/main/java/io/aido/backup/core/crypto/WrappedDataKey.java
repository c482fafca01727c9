package io.aido.backup.core.crypto;

import java.util.Objects;

/**
 * A data key as it is stored in a backup record: encrypted by a key-encryption key, so the record
 * holds no secret. Open it with {@link DataKey#unwrap(WrappedDataKey, KeyEncryptionKey)}.
 *
 * <p>{@link #toString()} shows the key id and template but not the wrapped bytes.
 *
 * @param kekId the {@link KeyEncryptionKey#id()} that wrapped it
 * @param template the Tink streaming template, such as {@code AES256_GCM_HKDF_1MB}
 * @param ciphertext the wrapped keyset, base64
 */
public record WrappedDataKey(String kekId, String template, String ciphertext) {
  public WrappedDataKey {
    Objects.requireNonNull(kekId, "kekId");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(ciphertext, "ciphertext");
  }

  @Override
  public String toString() {
    return "WrappedDataKey[kekId="
        + kekId
        + ", template="
        + template
        + ", ciphertext=*** ("
        + ciphertext.length()
        + " base64 chars)]";
  }
}
