package io.aido.backup.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GcmWarmUpTest {
  @Test
  void run_onThisJvm_sealsAndOpensEveryMessage() {
    assertThat(GcmWarmUp.run()).isTrue();
  }
}
