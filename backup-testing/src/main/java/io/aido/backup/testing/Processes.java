package io.aido.backup.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs short external commands for tests and returns what they printed.
 *
 * <p>Guarantees: stdout and stderr are drained on their own threads, so a chatty command never
 * blocks; a command that outlives its timeout is killed with its descendants and reported as a
 * failure. Restriction: output is kept in memory, so use it for tools that print little (psql
 * queries, pg_ctl), never for backup data.
 */
public final class Processes {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private Processes() {}

  /**
   * What a finished command printed.
   *
   * @param command the command line that ran
   * @param exitCode its exit code
   * @param stdout everything written to stdout, as UTF-8
   * @param stderr everything written to stderr, as UTF-8
   */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    /**
     * This result, if the command exited with 0.
     *
     * @throws IllegalStateException naming the command, its exit code and its stderr otherwise
     */
    public Result checkSuccess() {
      if (exitCode != 0) {
        throw new IllegalStateException(
            "command "
                + command
                + " exited with "
                + exitCode
                + ": "
                + (stderr.isBlank() ? stdout : stderr).strip());
      }
      return this;
    }
  }

  /** Whether this JVM runs as root (then PostgreSQL tools must run as the postgres OS user). */
  public static boolean runningAsRoot() {
    return ROOT;
  }

  /**
   * {@code command} prefixed so that it runs as {@code user} when this JVM runs as root ({@code
   * runuser -u user --}), unchanged otherwise.
   */
  public static List<String> asUser(String user, List<String> command) {
    if (!ROOT) {
      return List.copyOf(command);
    }
    List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", user, "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Runs {@code command} with no input and the given extra environment. */
  public static Result run(List<String> command, Map<String, String> env, Duration timeout) {
    return run(command, env, null, timeout);
  }

  /**
   * Runs {@code command}, writes {@code stdin} (if not null) to it, and waits for it to end.
   *
   * @throws UncheckedIOException if the command cannot be started
   * @throws IllegalStateException if it does not end within {@code timeout} (it is killed)
   */
  public static Result run(
      List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("unable to start " + command + ": " + e.getMessage(), e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outPump = pump(process.getInputStream(), out);
    Thread errPump = pump(process.getErrorStream(), err);
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The command may exit without reading its input; its exit code tells what happened.
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killTree(process.toHandle());
        throw new IllegalStateException("command " + command + " did not end within " + timeout);
      }
      outPump.join();
      errPump.join();
    } catch (InterruptedException e) {
      killTree(process.toHandle());
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + command, e);
    }
    return new Result(
        List.copyOf(command),
        process.exitValue(),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** Sends SIGKILL to {@code process} and every descendant it has. */
  public static void killTree(ProcessHandle process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Deletes {@code dir} and everything below it; a missing directory is fine. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths
          .sorted((a, b) -> b.getNameCount() - a.getNameCount())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException("unable to delete directory '" + dir + "': " + e, e);
    }
  }

  private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                in.transferTo(sink);
              } catch (IOException e) {
                // The process ended or was killed; what was read so far is the output.
              }
            },
            "process-output");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
