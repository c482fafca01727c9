package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.config.Environment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the machine's real pg_dump (the tests' PostgreSQL packages put it there). */
class PgToolsTest {

  @Test
  void largeOutputBuffer_stillRunsTheToolWithItsArguments() throws Exception {
    PgTools tools = PgTools.fromEnv(Environment.of(Map.of()));
    List<String> command = new ArrayList<>(tools.commandWithLargeOutputBuffer("pg_dump"));
    assertThat(command.get(command.size() - 1)).isEqualTo(tools.command("pg_dump"));
    command.add("--version");

    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor()).isZero();
    assertThat(out).startsWith("pg_dump (PostgreSQL) ");
  }

  @Test
  void largeOutputBuffer_usesStdbufWhereItIsOnPath() {
    boolean stdbufOnPath =
        List.of(System.getenv("PATH").split(":")).stream()
            .anyMatch(d -> !d.isBlank() && Files.isExecutable(Path.of(d, "stdbuf")));
    List<String> command =
        PgTools.fromEnv(Environment.of(Map.of())).commandWithLargeOutputBuffer("pg_dump");

    if (stdbufOnPath) {
      assertThat(command).hasSize(4);
      assertThat(command.get(0)).endsWith("/stdbuf");
      assertThat(command.subList(1, 3)).containsExactly("-o", "1M");
    } else {
      assertThat(command).hasSize(1);
    }
  }
}
