package io.aido.backup.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import io.aido.backup.core.crypto.internal.TinkRegistration;
import org.junit.jupiter.api.Test;

class TinkRegistrationTest {

  @Test
  void register_calledTwice_isIdempotent() {
    assertThatCode(
            () -> {
              TinkRegistration.register();
              TinkRegistration.register();
            })
        .doesNotThrowAnyException();
  }

  @Test
  void register_thenStreamingAeadPrimitive_isAvailable() throws Exception {
    TinkRegistration.register();

    KeysetHandle handle =
        KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);

    assertThat(handle.getPrimitive(RegistryConfiguration.get(), StreamingAead.class)).isNotNull();
  }
}
