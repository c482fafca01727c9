package io.aido.backup.core.crypto;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * The key that wraps every backup's data key: a Tink {@link Aead} from a keyset file or from Cloud
 * KMS. It never touches backup data itself, so rotating it never rewrites a backup.
 *
 * <p>Open one with {@link KeyEncryptionKeys#open(String)}. The {@link #id()} is stored in every
 * backup record; it names the key without revealing it (a KMS URI, or a keyset file's primary key
 * id), so a restore can say which key a backup needs.
 */
public final class KeyEncryptionKey {
  private final String id;
  private final Aead aead;

  KeyEncryptionKey(String id, Aead aead) {
    this.id = Objects.requireNonNull(id, "id");
    this.aead = Objects.requireNonNull(aead, "aead");
  }

  /** The credential-free name of this key, recorded with every data key it wraps. */
  public String id() {
    return id;
  }

  Aead aead() {
    return aead;
  }

  byte[] wrap(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    return aead.encrypt(plaintext, associatedData);
  }

  @Override
  public String toString() {
    return "KeyEncryptionKey[" + id + "]";
  }
}
