package io.aido.backup.core.crypto;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A data key as it is stored in a backup record or WAL header: encrypted by a key-encryption key,
 * so the record holds no secret. Open it with {@link DataKey#unwrap(WrappedDataKey,
 * KeyEncryptionKey, String)}.
 *
 * <p>Which key wrapped it: {@code kekId} is the {@link KeyEncryptionKey#id()} of the key that
 * wrapped it, which for a keyset file names the keyset's primary key at the time ({@code
 * tink-keyset:<key id>}) and for Cloud KMS the key ({@code gcp-kms://...}); {@code kekVersion} adds
 * the Cloud KMS key version that encrypted it (absent for keyset files, whose id already names the
 * key, and for keys wrapped before versions were recorded).
 *
 * <p>{@code boundTo} names what the wrapped key belongs to ({@code backup:<kind>/<id>}, {@code
 * wal:<object>}); it is part of the associated data of the wrapping, so a wrapped key copied into
 * another record does not unwrap there. Absent (null) for keys wrapped before binding existed,
 * which unwrap as before.
 *
 * <p>{@link #toString()} shows the key id and template but not the wrapped bytes.
 *
 * @param kekId the {@link KeyEncryptionKey#id()} that wrapped it
 * @param template the Tink streaming template, such as {@code AES256_GCM_HKDF_1MB}
 * @param ciphertext the wrapped keyset, base64
 * @param kekVersion the Cloud KMS key version that wrapped it, or null
 * @param boundTo what the wrapping is bound to, or null for an unbound (older) wrapping
 */
public record WrappedDataKey(
    String kekId,
    String template,
    String ciphertext,
    @JsonInclude(JsonInclude.Include.NON_NULL) String kekVersion,
    @JsonInclude(JsonInclude.Include.NON_NULL) String boundTo) {
  public WrappedDataKey {
    Objects.requireNonNull(kekId, "kekId");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(ciphertext, "ciphertext");
  }

  /** An unbound wrapping without a recorded version, as records of earlier versions hold. */
  public WrappedDataKey(String kekId, String template, String ciphertext) {
    this(kekId, template, ciphertext, null, null);
  }

  /** The key that wrapped it, as people read it: the id, and the version if known. */
  public String describeKek() {
    return kekVersion == null ? kekId : kekId + " (version " + kekVersion + ")";
  }

  @Override
  public String toString() {
    return "WrappedDataKey[kekId="
        + kekId
        + (kekVersion == null ? "" : ", kekVersion=" + kekVersion)
        + ", template="
        + template
        + (boundTo == null ? "" : ", boundTo=" + boundTo)
        + ", ciphertext=*** ("
        + ciphertext.length()
        + " base64 chars)]";
  }
}
