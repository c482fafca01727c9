package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ToolProcessTest {

  /** Run in a JVM of its own: starts a long tool, prints its pid, then waits to be killed. */
  public static final class Parent {
    public static void main(String[] args) throws Exception {
      ToolProcess tool = ToolProcess.start("sleep", List.of("sleep", "300"), Map.of());
      long pid =
          ProcessHandle.current().children().findFirst().orElseThrow().pid(); // the tool itself
      System.out.println(pid);
      System.out.flush();
      tool.awaitSuccess();
    }
  }

  @Test
  void start_jobJvmSigkilled_theToolDiesWithIt() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process parent =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), Parent.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long toolPid;
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      toolPid = Long.parseLong(r.readLine().trim());
      Optional<ProcessHandle> tool = ProcessHandle.of(toolPid);
      assertThat(tool).isPresent();
      assertThat(tool.get().isAlive()).isTrue();

      parent.destroyForcibly(); // SIGKILL: the JVM runs no shutdown hook, closes nothing
      assertThat(parent.waitFor(30, TimeUnit.SECONDS)).isTrue();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (tool.get().isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(tool.get().isAlive())
          .as("sleep (pid %d) outlived its killed job", toolPid)
          .isFalse();
    } finally {
      parent.destroyForcibly();
      ProcessHandle.of(parent.pid())
          .ifPresent(h -> h.descendants().forEach(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void start_missingTool_failsNamingTheToolNotTheWrapper() {
    assertThatIOException()
        .isThrownBy(
            () -> ToolProcess.start("pg_nothing", List.of("/nonexistent/pg_nothing"), Map.of()))
        .withMessageContaining("unable to start pg_nothing ('/nonexistent/pg_nothing')");
  }

  @Test
  void start_failingTool_awaitSuccessNamesItsExitCodeAndErrorLine() throws Exception {
    try (ToolProcess tool =
        ToolProcess.start(
            "failing tool", List.of("sh", "-c", "echo 'error: it broke' >&2; exit 3"), Map.of())) {
      assertThatIOException()
          .isThrownBy(tool::awaitSuccess)
          .withMessageContaining("failing tool exited with code 3")
          .withMessageContaining("error: it broke");
    }
  }
}
