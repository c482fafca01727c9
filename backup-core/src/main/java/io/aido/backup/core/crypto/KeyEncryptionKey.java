package io.aido.backup.core.crypto;

import com.google.api.client.http.HttpResponseException;
import com.google.api.services.cloudkms.v1.CloudKMS;
import com.google.api.services.cloudkms.v1.model.CryptoKey;
import com.google.api.services.cloudkms.v1.model.EncryptRequest;
import com.google.api.services.cloudkms.v1.model.EncryptResponse;
import com.google.crypto.tink.Aead;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The key that wraps every backup's data key: a Tink {@link Aead} from a keyset file or from Cloud
 * KMS. It never touches backup data itself, so rotating it never rewrites a backup (see {@link
 * DataKey#rewrap}).
 *
 * <p>Open one with {@link KeyEncryptionKeys#open(String)}. The {@link #id()} is stored in every
 * backup record; it names the key without revealing it ({@code gcp-kms://...} for a KMS key, {@code
 * tink-keyset:<primary key id>} for a keyset file), so a restore can say which key a backup needs.
 * {@link #toString()} prints only the id.
 *
 * <p>Which key is current: for a keyset file, its primary key (the id); for Cloud KMS, the key's
 * primary version, which {@link #primaryVersion()} asks KMS for once. {@link #isCurrent} tells
 * whether a wrapped data key was wrapped by exactly that, which is what {@code rewrap} and {@code
 * verify} use to find backups that still depend on an older key.
 */
public final class KeyEncryptionKey {
  private final String id;
  private final Aead aead;
  private final boolean remote;
  private final CloudKMS kms;
  private final String kmsKeyName;
  private volatile String primaryVersion;

  KeyEncryptionKey(String id, Aead aead, boolean remote) {
    this(id, aead, remote, null, null);
  }

  KeyEncryptionKey(String id, Aead aead, boolean remote, CloudKMS kms, String kmsKeyName) {
    this.id = Objects.requireNonNull(id, "id");
    this.aead = Objects.requireNonNull(aead, "aead");
    this.remote = remote;
    this.kms = kms;
    this.kmsKeyName = kmsKeyName;
  }

  /** Ciphertext from {@link #encrypt}, with the Cloud KMS key version that made it (or null). */
  record Encrypted(byte[] ciphertext, String version) {}

  /**
   * Encrypts with this key. A Cloud KMS key is called directly, so that the version that encrypted
   * is known (Tink's KMS AEAD drops it); decryption goes through Tink's, which needs no version:
   * KMS finds it in the ciphertext.
   */
  Encrypted encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    if (kms == null) {
      return new Encrypted(aead.encrypt(plaintext, associatedData), null);
    }
    EncryptResponse response;
    try {
      response =
          kms.projects()
              .locations()
              .keyRings()
              .cryptoKeys()
              .encrypt(
                  kmsKeyName,
                  new EncryptRequest()
                      .encodePlaintext(plaintext)
                      .encodeAdditionalAuthenticatedData(associatedData)
                      .setPlaintextCrc32c(crc32c(plaintext))
                      .setAdditionalAuthenticatedDataCrc32c(crc32c(associatedData)))
              .execute();
    } catch (IOException e) {
      throw new GeneralSecurityException("encryption request failed", e);
    }
    byte[] ciphertext = response.decodeCiphertext();
    if (ciphertext == null || ciphertext.length == 0) {
      throw new GeneralSecurityException("Cloud KMS returned no ciphertext");
    }
    // the integrity checks Tink's KMS AEAD makes: what KMS received, and what came back
    if (!Boolean.TRUE.equals(response.getVerifiedPlaintextCrc32c())
        || !Boolean.TRUE.equals(response.getVerifiedAdditionalAuthenticatedDataCrc32c())
        || response.getCiphertextCrc32c() == null
        || response.getCiphertextCrc32c() != crc32c(ciphertext)) {
      throw new GeneralSecurityException(
          "Cloud KMS encryption failed an integrity check (CRC32C); nothing was wrapped");
    }
    return new Encrypted(ciphertext, version(response.getName()));
  }

  /**
   * The version that new wrappings get: null for a keyset file (its {@link #id()} names the primary
   * key already), the primary version for Cloud KMS, asked once per key object.
   *
   * @throws KeyUnavailableException if Cloud KMS could not be asked (the caller needs the {@code
   *     cloudkms.cryptoKeys.get} permission, as in the role {@code roles/cloudkms.viewer})
   */
  public String primaryVersion() throws GeneralSecurityException {
    if (kms == null) {
      return null;
    }
    String known = primaryVersion;
    if (known != null) {
      return known;
    }
    CryptoKey key;
    try {
      key = kms.projects().locations().keyRings().cryptoKeys().get(kmsKeyName).execute();
    } catch (IOException e) {
      throw new KeyUnavailableException(
          "unable to read the primary version of key-encryption key '" + id + "'", e);
    }
    if (key.getPrimary() == null || key.getPrimary().getName() == null) {
      throw new GeneralSecurityException(
          "key-encryption key '" + id + "' has no primary version (is it an encryption key?)");
    }
    primaryVersion = version(key.getPrimary().getName());
    return primaryVersion;
  }

  /**
   * Whether {@code wrapped} was wrapped by this key as it is now: the same id and, for Cloud KMS,
   * the primary version. A KMS wrapping without a recorded version is not current.
   *
   * @throws KeyUnavailableException if the primary version of a Cloud KMS key cannot be read
   */
  public boolean isCurrent(WrappedDataKey wrapped) throws GeneralSecurityException {
    if (!id.equals(wrapped.kekId())) {
      return false;
    }
    String primary = primaryVersion();
    return primary == null || primary.equals(wrapped.kekVersion());
  }

  /** How the current key reads in messages: the id, and the KMS primary version if known. */
  public String describeCurrent() {
    String v = primaryVersion;
    return v == null ? id : id + " (version " + v + ")";
  }

  private static long crc32c(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }

  private static String version(String versionName) {
    if (versionName == null) {
      return null;
    }
    return versionName.substring(versionName.lastIndexOf('/') + 1);
  }

  /** The credential-free name of this key, recorded with every data key it wraps. */
  public String id() {
    return id;
  }

  /** Whether the key lives in a remote service (Cloud KMS) and every use is a network call. */
  public boolean remote() {
    return remote;
  }

  Aead aead() {
    return aead;
  }

  /**
   * Whether a failure to decrypt says nothing about the key being right: the service could not be
   * reached or refused the call. Cloud KMS answers a ciphertext that its key does not open with
   * HTTP 400; any other HTTP status or I/O failure means it was never asked or would not answer.
   * (Tink reports a malformed wrapped key without an I/O cause.)
   */
  boolean unreachable(Throwable failure) {
    if (!remote) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpResponseException http) {
        return http.getStatusCode() != 400;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "KeyEncryptionKey[" + id + "]";
  }
}
