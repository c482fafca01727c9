package io.aido.backup.core.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void read_wholeStream_countsBytesAndDescribesRate() throws Exception {
    AtomicLong now = new AtomicLong();
    InputStream data = new ByteArrayInputStream(new byte[3 * 1024 * 1024]);
    Progress p = new Progress(data, "test", now::get, 1_000_000_000L);
    byte[] buf = new byte[1024 * 1024];
    while (p.read(buf) >= 0) {
      now.addAndGet(1_000_000_000L);
    }
    assertThat(p.bytes()).isEqualTo(3L * 1024 * 1024);
    assertThat(p.describe(3_000_000_000L)).isEqualTo("3.0 MiB in 3.0 s (1.0 MiB/s)");
  }

  @Test
  void read_failingStream_passesTheFailureOn() {
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("pipe broken");
          }
        };
    Progress p = new Progress(failing, "test");
    assertThatThrownBy(p::read).isInstanceOf(IOException.class).hasMessage("pipe broken");
    assertThat(p.bytes()).isZero();
  }
}
