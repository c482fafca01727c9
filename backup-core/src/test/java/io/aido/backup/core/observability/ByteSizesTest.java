package io.aido.backup.core.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteSizesTest {

  @Test
  void human_belowOneKibibyte_isInBytes() {
    assertThat(ByteSizes.human(0)).isEqualTo("0 B");
    assertThat(ByteSizes.human(512)).isEqualTo("512 B");
  }

  @Test
  void human_larger_isInBinaryUnitsWithOneDecimal() {
    assertThat(ByteSizes.human(1536)).isEqualTo("1.5 KiB");
    assertThat(ByteSizes.human(3L << 30)).isEqualTo("3.0 GiB");
    assertThat(ByteSizes.human(5L << 30)).isEqualTo("5.0 GiB");
    assertThat(ByteSizes.human(2048L << 40)).isEqualTo("2048.0 TiB");
  }
}
