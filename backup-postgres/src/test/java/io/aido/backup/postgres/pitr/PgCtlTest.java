package io.aido.backup.postgres.pitr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pg_ctl wrapper without a server: its command line and its failure wording. */
class PgCtlTest {
  @TempDir Path dir;

  @Test
  void serverOptions_socketDirectoryIsQuotedForPgCtlsShell() throws Exception {
    assertThat(PgCtl.serverOptions(5433, "127.0.0.1")).isEqualTo("-p 5433");
    assertThat(PgCtl.serverOptions(5433, "/run/my sockets/it's"))
        .isEqualTo("-p 5433 -k '/run/my sockets/it'\\''s'");

    // what a shell makes of it, as pg_ctl's does
    Process sh =
        new ProcessBuilder("sh", "-c", "printf '%s\\n' " + PgCtl.serverOptions(1, "/a b/it's"))
            .start();
    String words = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(sh.waitFor()).isZero();
    assertThat(words.lines()).containsExactly("-p", "1", "-k", "/a b/it's");
  }

  @Test
  void start_pgCtlFails_messageNamesTheServerLogTail() throws Exception {
    Path pgdata = dir.resolve("pg");
    PgCtl ctl = new PgCtl("false", pgdata);
    Files.write(ctl.log(), "one\ntwo\nthree\nFATAL:  no such directory\n".getBytes());

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ctl.start(5432, "127.0.0.1", java.time.Duration.ofSeconds(5)))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining(
            "(server log '" + ctl.log() + "': two / three / FATAL:  no such directory)");
  }

  @Test
  void logTail_noLog_saysSo() {
    assertThat(new PgCtl("pg_ctl", dir.resolve("pg")).logTail()).isEqualTo("(no log)");
  }
}
