package io.aido.backup.core.crypto;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * The per-backup streaming key that encrypts every part of one backup.
 *
 * <p>Guarantees: each backup gets a fresh key ({@link #generate()}); a part's object name is the
 * associated data, so a part moved or copied under another name fails to decrypt; decryption
 * authenticates every segment before releasing its plaintext and detects truncation at the end.
 *
 * <p>Restrictions: never serialize it except through {@link #wrap(KeyEncryptionKey)}.
 *
 * <pre>{@code
 * DataKey key = DataKey.generate();
 * WrappedDataKey stored = key.wrap(kek);               // goes into the record
 * try (OutputStream out = key.encrypting(upload, partKey)) { ... }
 * DataKey again = DataKey.unwrap(stored, kek);          // at restore
 * }</pre>
 */
public final class DataKey {
  /** The Tink streaming template every new data key uses. */
  public static final String TEMPLATE = "AES256_GCM_HKDF_1MB";

  private static final byte[] WRAP_CONTEXT =
      "aido-backup data key v1".getBytes(StandardCharsets.UTF_8);

  private final KeysetHandle handle;
  private final StreamingAead aead;

  private DataKey(KeysetHandle handle) throws GeneralSecurityException {
    this.handle = handle;
    this.aead = handle.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
  }

  /** A fresh random key. */
  public static DataKey generate() throws GeneralSecurityException {
    KeyEncryptionKeys.init();
    return new DataKey(
        KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB));
  }

  /** This key encrypted by {@code kek}, for the backup record. */
  public WrappedDataKey wrap(KeyEncryptionKey kek) throws GeneralSecurityException {
    byte[] wrapped =
        TinkProtoKeysetFormat.serializeEncryptedKeyset(handle, kek.aead(), WRAP_CONTEXT);
    return new WrappedDataKey(kek.id(), TEMPLATE, Base64.getEncoder().encodeToString(wrapped));
  }

  /**
   * Unwraps a stored data key.
   *
   * @throws WrongKeyException if {@code kek} is not the key that wrapped it, or the wrapped key was
   *     altered
   */
  public static DataKey unwrap(WrappedDataKey wrapped, KeyEncryptionKey kek)
      throws WrongKeyException {
    KeyEncryptionKeys.init();
    try {
      byte[] bytes = Base64.getDecoder().decode(wrapped.ciphertext());
      return new DataKey(
          TinkProtoKeysetFormat.parseEncryptedKeyset(bytes, kek.aead(), WRAP_CONTEXT));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WrongKeyException(wrapped.kekId(), kek.id());
    }
  }

  /**
   * A stream that encrypts what is written to it into {@code ciphertext}, bound to {@code name}.
   */
  public OutputStream encrypting(OutputStream ciphertext, ObjectKey name) throws IOException {
    try {
      return aead.newEncryptingStream(ciphertext, associatedData(name));
    } catch (GeneralSecurityException e) {
      throw new IOException("unable to start encrypting '" + name + "': " + e.getMessage(), e);
    }
  }

  /**
   * A stream of the plaintext of {@code ciphertext}, which must have been written for {@code name}.
   * A tampered, truncated or misnamed object raises {@link DecryptionFailedException} naming the
   * object and the plaintext offset; bytes are only released once authenticated.
   */
  public InputStream decrypting(InputStream ciphertext, ObjectKey name) throws IOException {
    try {
      return new AuthenticatedInputStream(
          aead.newDecryptingStream(ciphertext, associatedData(name)), name);
    } catch (GeneralSecurityException e) {
      throw new DecryptionFailedException(name, 0, e);
    }
  }

  private static byte[] associatedData(ObjectKey name) {
    return name.name().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "DataKey[***]";
  }
}
