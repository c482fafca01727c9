package io.aido.backup.core.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How {@code catalog list} prints a backup's duration. */
class CatalogCommandDurationTest {
  @Test
  void duration_readable() {
    assertThat(CatalogCommand.duration(Duration.ofSeconds(75))).isEqualTo("1m15s");
    assertThat(CatalogCommand.duration(Duration.ofMinutes(135))).isEqualTo("2h15m");
  }
}
