package io.aido.backup.core.crypto;

import java.util.Objects;

/**
 * A data key as it is stored in a backup record: encrypted by a key-encryption key, so the record
 * holds no secret.
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
}
