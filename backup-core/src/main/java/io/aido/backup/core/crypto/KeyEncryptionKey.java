package io.aido.backup.core.crypto;

import com.google.api.client.http.HttpResponseException;
import com.google.crypto.tink.Aead;
import java.io.IOException;
import java.util.Objects;

/**
 * The key that wraps every backup's data key: a Tink {@link Aead} from a keyset file or from Cloud
 * KMS. It never touches backup data itself, so rotating it never rewrites a backup (see {@link
 * DataKey#rewrap}).
 *
 * <p>Open one with {@link KeyEncryptionKeys#open(String)}. The {@link #id()} is stored in every
 * backup record; it names the key without revealing it ({@code gcp-kms://...} for a KMS key, {@code
 * tink-keyset:<primary key id>} for a keyset file), so a restore can say which key a backup needs.
 * {@link #toString()} prints only the id.
 */
public final class KeyEncryptionKey {
  private final String id;
  private final Aead aead;
  private final boolean remote;

  KeyEncryptionKey(String id, Aead aead, boolean remote) {
    this.id = Objects.requireNonNull(id, "id");
    this.aead = Objects.requireNonNull(aead, "aead");
    this.remote = remote;
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
