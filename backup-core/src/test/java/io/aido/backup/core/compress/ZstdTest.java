package io.aido.backup.core.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZstdTest {

  private static byte[] compress(byte[] data, int level, int workers) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = Zstd.compressing(out, level, workers)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] decompress(byte[] compressed) throws IOException {
    try (InputStream in = Zstd.decompressing(new ByteArrayInputStream(compressed))) {
      return in.readAllBytes();
    }
  }

  @Test
  void compress_thenDecompress_roundTrips() throws IOException {
    byte[] random = new byte[1_000_000];
    new Random(1).nextBytes(random);
    byte[] text = "todo ".repeat(200_000).getBytes();
    for (byte[] data : new byte[][] {new byte[0], random, text}) {
      assertThat(decompress(compress(data, 3, 0))).isEqualTo(data);
      assertThat(decompress(compress(data, 3, 2))).isEqualTo(data);
    }
    assertThat(compress(text, 3, 2).length).isLessThan(text.length / 100);
  }

  @Test
  void decompress_truncated_throws() throws IOException {
    byte[] random = new byte[500_000];
    new Random(2).nextBytes(random);
    byte[] compressed = compress(random, 3, 0);
    byte[] truncated = Arrays.copyOf(compressed, compressed.length / 2);

    assertThatThrownBy(() -> decompress(truncated)).isInstanceOf(IOException.class);
  }

  @Test
  void decompress_garbage_throws() {
    assertThatThrownBy(() -> decompress("not zstd at all".getBytes()))
        .isInstanceOf(IOException.class);
  }

  @Test
  void compressing_badLevel_refused() {
    assertThatThrownBy(() -> Zstd.compressing(OutputStream.nullOutputStream(), 20, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 19");
    assertThatThrownBy(() -> Zstd.compressing(OutputStream.nullOutputStream(), 3, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
