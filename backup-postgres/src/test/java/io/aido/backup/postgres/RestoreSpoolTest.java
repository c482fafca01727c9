package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.cli.JobException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreSpoolTest {
  @TempDir Path dir;

  private long files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void openFillClose_holdsTheBytesThenRemovesTheFile() throws Exception {
    Path file;
    try (RestoreSpool spool = RestoreSpool.open(dir, 5, "backup x")) {
      file = spool.path();
      assertThat(file.getFileName().toString())
          .startsWith("restore-" + ProcessHandle.current().pid() + "-")
          .endsWith(".dump");
      assertThat(spool.fill(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5})).bytes())
          .isEqualTo(5);
      assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3, 4, 5);
    }
    assertThat(file).doesNotExist();
    assertThat(files()).isZero();
  }

  @Test
  void fill_sourceFails_exceptionAndCloseStillRemovesTheFile() throws Exception {
    Path file;
    try (RestoreSpool spool = RestoreSpool.open(dir, 5, "backup x")) {
      file = spool.path();
      InputStream failing =
          new InputStream() {
            @Override
            public int read() throws IOException {
              throw new IOException("authentication failed at byte 0");
            }
          };
      assertThatThrownBy(() -> spool.fill(failing)).hasMessageContaining("authentication failed");
    }
    assertThat(file).doesNotExist();
  }

  @Test
  void open_notEnoughRoom_exit2NamingTheSizesAndCreatesNothing() throws Exception {
    assertThatThrownBy(() -> RestoreSpool.open(dir, Long.MAX_VALUE / 4, "backup 2026-x"))
        .isInstanceOfSatisfying(JobException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("backup 2026-x")
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("free")
        .hasMessageContaining("nothing was restored");
    assertThat(files()).isZero();
  }

  @Test
  void open_missingDirectory_exit2() {
    assertThatThrownBy(() -> RestoreSpool.open(dir.resolve("nope"), 1, "backup x"))
        .isInstanceOfSatisfying(JobException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("not a writable directory");
  }

  @Test
  void open_leftoverOfAKilledRun_removedWhileASpoolInUseIsKept() throws Exception {
    Path leftover = Files.writeString(dir.resolve("restore-4242-123.dump"), "plaintext");
    Path unrelated = Files.writeString(dir.resolve("notes.txt"), "keep");
    try (RestoreSpool inUse = RestoreSpool.open(dir, 1, "backup a")) {
      try (RestoreSpool second = RestoreSpool.open(dir, 1, "backup b")) {
        assertThat(leftover).doesNotExist();
        assertThat(inUse.path()).exists();
        assertThat(second.path()).exists();
        assertThat(unrelated).exists();
      }
      assertThat(RestoreSpool.removeLeftovers(dir)).isEmpty();
      assertThat(inUse.path()).exists();
    }
  }
}
