package io.aido.backup.core.crypto;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.proto.EncryptedKeyset;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.protobuf.ByteString;
import io.aido.backup.core.crypto.internal.TinkRegistration;
import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;

/**
 * The per-backup streaming key that encrypts every part of one backup (Tink {@code
 * AES256_GCM_HKDF_1MB}: segments of 1 MiB, each authenticated, the last one marked as last).
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>each backup gets a fresh random key ({@link #generate()});
 *   <li>a part's object name is the associated data, so a part moved or copied under another name
 *       fails to decrypt;
 *   <li>a key wrapped with a binding ({@link #wrap(KeyEncryptionKey, String)}, such as {@code
 *       backup:db-logical/<id>}) has the binding in the wrapping's associated data, so a wrapped
 *       key copied into another backup's record fails to unwrap there, with a message that says so;
 *   <li>{@link #decrypting} releases a segment's plaintext only after authenticating it, detects
 *       truncation (also at a segment boundary) and an empty object, and reports each as a {@link
 *       DecryptionFailedException} naming the object and the plaintext offset; a consumer never
 *       sees a clean end of stream for a ciphertext that did not authenticate to its end;
 *   <li>a failure of the ciphertext stream itself (storage, network) propagates as that stream's
 *       own {@link IOException}, never as a decryption failure.
 * </ul>
 *
 * <p>It also seals small content (a backup record) with {@link #seal} and {@link #checkSeal}: an
 * encrypted digest, so a record's seal needs no key of its own and moves with the data key.
 *
 * <p>Restrictions: the key leaves this object only wrapped ({@link #wrap(KeyEncryptionKey)}); its
 * {@link #toString()} prints {@code ***}. A single encrypting stream must be closed to write the
 * final segment; an unclosed one decrypts as truncated.
 *
 * <pre>{@code
 * DataKey key = DataKey.generate();
 * WrappedDataKey stored = key.wrap(kek, binding);      // goes into the record
 * try (OutputStream out = key.encrypting(upload, partKey)) { ... }
 * DataKey again = DataKey.unwrap(stored, kek, binding); // at restore
 * try (InputStream in = again.decrypting(download, partKey)) { ... }
 * }</pre>
 */
public final class DataKey {
  /** The Tink streaming template every new data key uses. */
  public static final String TEMPLATE = "AES256_GCM_HKDF_1MB";

  private static final byte[] WRAP_CONTEXT =
      "aido-backup data key v1".getBytes(StandardCharsets.UTF_8);

  private static final String BOUND_WRAP_CONTEXT = "aido-backup data key v2\0";

  private static final String SEAL_CONTEXT = "aido-backup seal v1\0";

  private static final int SEAL_DIGEST_BYTES = 32;

  private final KeysetHandle handle;
  private final StreamingAead aead;

  private DataKey(KeysetHandle handle, StreamingAead aead) {
    this.handle = handle;
    this.aead = aead;
    GcmWarmUp.start();
  }

  /**
   * A fresh random key.
   *
   * @throws GeneralSecurityException if Tink cannot generate the key (a broken JCE provider)
   */
  public static DataKey generate() throws GeneralSecurityException {
    TinkRegistration.register();
    KeysetHandle handle =
        KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);
    return new DataKey(
        handle, handle.getPrimitive(RegistryConfiguration.get(), StreamingAead.class));
  }

  /**
   * This key encrypted by {@code kek}, bound to nothing: for checks that a key works. What is
   * stored should be bound ({@link #wrap(KeyEncryptionKey, String)}).
   *
   * @throws KeyUnavailableException if a Cloud KMS key could not be reached or refused the call
   * @throws GeneralSecurityException if {@code kek} fails to encrypt for another reason
   */
  public WrappedDataKey wrap(KeyEncryptionKey kek) throws GeneralSecurityException {
    return wrap(kek, null);
  }

  /**
   * This key encrypted by {@code kek}, for a record: {@code binding} (what the key belongs to, such
   * as {@code backup:db-logical/<id>}) is in the associated data and recorded as {@link
   * WrappedDataKey#boundTo()}; null wraps unbound, as earlier versions did. The result records the
   * key id and, for Cloud KMS, the key version that encrypted it.
   *
   * @throws KeyUnavailableException if a Cloud KMS key could not be reached or refused the call
   * @throws GeneralSecurityException if {@code kek} fails to encrypt for another reason
   */
  public WrappedDataKey wrap(KeyEncryptionKey kek, String binding) throws GeneralSecurityException {
    KeyEncryptionKey.Encrypted encrypted;
    try {
      byte[] keyset = TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
      encrypted = kek.encrypt(keyset, context(binding));
    } catch (GeneralSecurityException e) {
      throw new KeyUnavailableException(
          "unable to wrap the data key with key-encryption key '" + kek.id() + "'", e);
    }
    // the form Tink's TinkProtoKeysetFormat.parseEncryptedKeyset reads
    byte[] wrapped =
        EncryptedKeyset.newBuilder()
            .setEncryptedKeyset(ByteString.copyFrom(encrypted.ciphertext()))
            .build()
            .toByteArray();
    return new WrappedDataKey(
        kek.id(),
        TEMPLATE,
        Base64.getEncoder().encodeToString(wrapped),
        encrypted.version(),
        binding);
  }

  /**
   * Unwraps a stored data key that is not bound, or whose binding is not checked (see {@link
   * #unwrap(WrappedDataKey, KeyEncryptionKey, String)}).
   *
   * @throws WrongKeyException if {@code kek} does not open it, or the wrapped key was altered
   * @throws KeyUnavailableException if a Cloud KMS key could not be reached or refused the call
   * @throws GeneralSecurityException if the unwrapped keyset is not a streaming data key
   */
  public static DataKey unwrap(WrappedDataKey wrapped, KeyEncryptionKey kek)
      throws GeneralSecurityException {
    return unwrap(wrapped, kek, wrapped.boundTo());
  }

  /**
   * Unwraps a stored data key found where {@code expectedBinding} says (the backup or WAL object
   * whose record holds it). A key wrapped unbound (by an earlier version) unwraps as before; a
   * bound one must be bound to {@code expectedBinding}, checked by name and by the wrapping's
   * associated data.
   *
   * <p>{@code kek} need not have the id recorded in {@code wrapped}: a keyset file that kept the
   * old key beside a new primary still opens keys the old one wrapped.
   *
   * @throws WrongKeyException if {@code kek} does not open it, the wrapped key was altered, or it
   *     belongs to another backup or object (a {@link WrongKeyException#misplaced()} one)
   * @throws KeyUnavailableException if a Cloud KMS key could not be reached or refused the call, so
   *     it is unknown whether the key is the right one
   * @throws GeneralSecurityException if the unwrapped keyset is not a streaming data key
   */
  public static DataKey unwrap(WrappedDataKey wrapped, KeyEncryptionKey kek, String expectedBinding)
      throws GeneralSecurityException {
    TinkRegistration.register();
    String binding = wrapped.boundTo();
    if (binding != null && expectedBinding != null && !binding.equals(expectedBinding)) {
      throw WrongKeyException.misplaced(wrapped.describeKek(), binding, expectedBinding);
    }
    KeysetHandle handle;
    try {
      byte[] bytes = Base64.getDecoder().decode(wrapped.ciphertext());
      handle =
          // an edited boundTo changes the associated data, so the AEAD refuses it
          TinkProtoKeysetFormat.parseEncryptedKeyset(bytes, kek.aead(), context(binding));
    } catch (GeneralSecurityException e) {
      if (kek.unreachable(e)) {
        throw new KeyUnavailableException(
            "unable to unwrap the data key with key-encryption key '" + kek.id() + "'", e);
      }
      throw new WrongKeyException(wrapped.kekId(), kek.id());
    } catch (IllegalArgumentException e) {
      throw new WrongKeyException(wrapped.kekId(), kek.id());
    }
    StreamingAead aead;
    try {
      aead = handle.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(
          "unable to use the data key wrapped by '"
              + wrapped.kekId()
              + "': it is not a streaming AEAD key (template '"
              + wrapped.template()
              + "')");
    }
    return new DataKey(handle, aead);
  }

  /**
   * Moves a wrapped data key from one key-encryption key to another, for key rotation: the backup
   * data is untouched, only the record's wrapped key changes. The result is bound to {@code
   * binding}, which must be where {@code wrapped} was found.
   *
   * @throws WrongKeyException if {@code from} does not open {@code wrapped}, or it is bound to
   *     something else
   * @throws KeyUnavailableException if a Cloud KMS key could not be reached or refused the call
   * @throws GeneralSecurityException if {@code to} fails to encrypt
   */
  public static WrappedDataKey rewrap(
      WrappedDataKey wrapped, KeyEncryptionKey from, KeyEncryptionKey to, String binding)
      throws GeneralSecurityException {
    return unwrap(wrapped, from, binding).wrap(to, binding);
  }

  /**
   * A stream that encrypts what is written to it into {@code ciphertext}, bound to {@code name}.
   * Closing it writes the final segment and closes {@code ciphertext}.
   *
   * @throws IOException if {@code ciphertext} fails while the header is written
   */
  public OutputStream encrypting(OutputStream ciphertext, ObjectKey name) throws IOException {
    Objects.requireNonNull(ciphertext, "ciphertext");
    try {
      return aead.newEncryptingStream(ciphertext, associatedData(name));
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "unable to start encrypting object '" + name + "': " + e.getMessage(), e);
    }
  }

  /**
   * A stream of the plaintext of {@code ciphertext}, which must have been written for {@code name}
   * by this key. Closing it closes {@code ciphertext}.
   *
   * <p>A read throws {@link DecryptionFailedException} (naming the object and the plaintext offset)
   * if the object was tampered with, truncated, written under another name or with another key; it
   * throws the ciphertext stream's own {@link IOException} if that stream fails. Either failure is
   * sticky. Only authenticated bytes are ever returned.
   */
  public InputStream decrypting(InputStream ciphertext, ObjectKey name) throws IOException {
    AuthenticatedInputStream.Source source = new AuthenticatedInputStream.Source(ciphertext);
    InputStream plaintext;
    try {
      plaintext = aead.newDecryptingStream(source, associatedData(name));
    } catch (GeneralSecurityException e) {
      throw new DecryptionFailedException(name, 0, e);
    }
    return new AuthenticatedInputStream(plaintext, source, name);
  }

  /**
   * A seal over {@code content}: the content's SHA-256 encrypted by this key, with {@code binding}
   * (what is sealed, such as {@code record:db-logical/<id>}) as associated data, base64. Only the
   * holder of this key, so of the key-encryption key that wraps it, can make one that {@link
   * #checkSeal} accepts; any change to the content or the binding makes it fail.
   *
   * @throws GeneralSecurityException if encrypting fails (a broken JCE provider)
   */
  public String seal(byte[] content, String binding) throws GeneralSecurityException {
    ByteArrayOutputStream sealed = new ByteArrayOutputStream(128);
    try (OutputStream out = aead.newEncryptingStream(sealed, sealContext(binding))) {
      out.write(sha256(content));
    } catch (IOException e) {
      throw new GeneralSecurityException("unable to seal: " + e.getMessage(), e);
    }
    return Base64.getEncoder().encodeToString(sealed.toByteArray());
  }

  /**
   * Checks a seal made by {@link #seal} with this key for this content and binding.
   *
   * @throws GeneralSecurityException if it does not match: the content or the binding changed, the
   *     seal was altered or made by another key
   */
  public void checkSeal(String seal, byte[] content, String binding)
      throws GeneralSecurityException {
    byte[] digest;
    try (InputStream in =
        aead.newDecryptingStream(
            new ByteArrayInputStream(Base64.getDecoder().decode(seal)), sealContext(binding))) {
      digest = in.readNBytes(SEAL_DIGEST_BYTES + 1);
    } catch (IOException | IllegalArgumentException e) {
      throw new GeneralSecurityException("the seal does not authenticate", e);
    }
    if (!MessageDigest.isEqual(digest, sha256(content))) {
      throw new GeneralSecurityException("the content does not match its seal");
    }
  }

  private static byte[] sha256(byte[] content) throws GeneralSecurityException {
    return MessageDigest.getInstance("SHA-256").digest(content);
  }

  private static byte[] sealContext(String binding) {
    return (SEAL_CONTEXT + Objects.requireNonNull(binding, "binding"))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] context(String binding) {
    return binding == null
        ? WRAP_CONTEXT.clone()
        : (BOUND_WRAP_CONTEXT + binding).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] associatedData(ObjectKey name) {
    return name.name().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "DataKey[" + TEMPLATE + ", ***]";
  }
}
