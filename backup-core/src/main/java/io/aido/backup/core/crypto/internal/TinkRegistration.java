package io.aido.backup.core.crypto.internal;

import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import java.security.GeneralSecurityException;

/**
 * Registers the Tink primitives this toolkit uses (AEAD for key-encryption keys, streaming AEAD for
 * data keys), once per process.
 *
 * <p>Guarantees: {@link #register} is idempotent and thread-safe; the registration itself runs
 * once, on the first call. The entry points of {@code core.crypto} that build Tink keys ({@link
 * io.aido.backup.core.crypto.KeyEncryptionKeys}, {@link io.aido.backup.core.crypto.DataKey}) call
 * it, and nothing else does: a command that never opens a key ({@code --help}, a catalog listing
 * without a key) does not load Tink at all, which saves about 400 classes at start-up.
 *
 * <pre>{@code
 * TinkRegistration.register();
 * }</pre>
 */
public final class TinkRegistration {

  private TinkRegistration() {}

  /**
   * Makes sure Tink's AEAD and streaming AEAD key managers are registered; cheap after the first
   * call.
   *
   * @throws IllegalStateException if Tink refuses the registration (a broken classpath); it is
   *     thrown again on every call
   */
  public static void register() {
    Holder.touch();
  }

  /** The JVM runs the initializer once, under its class-initialization lock. */
  private static final class Holder {
    private static final GeneralSecurityException FAILURE = registerAll();

    private static GeneralSecurityException registerAll() {
      try {
        AeadConfig.register();
        StreamingAeadConfig.register();
        return null;
      } catch (GeneralSecurityException e) {
        return e;
      }
    }

    static void touch() {
      if (FAILURE != null) {
        throw new IllegalStateException(
            "unable to register Tink: " + FAILURE.getMessage(), FAILURE);
      }
    }
  }
}
