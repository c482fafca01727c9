package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DaprCommandTest {

  @Test
  void partName_namesThatCollidedWithDashes_differ() {
    assertThat(DaprCommand.partName("ledger", "eu-cache"))
        .isEqualTo("state-ledger_eu-cache.dss")
        .isNotEqualTo(DaprCommand.partName("ledger-eu", "cache"));
    assertThat(DaprCommand.partName("a.b", "c")).isNotEqualTo(DaprCommand.partName("a", "b.c"));
  }

  @Test
  void partName_namespaceWithUnderscore_refused() {
    assertThatThrownBy(() -> DaprCommand.partName("a_b", "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a DNS label");
  }
}
