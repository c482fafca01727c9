package io.aido.backup.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running PostgreSQL client tool whose stdout is backup data.
 *
 * <p>Guarantees: stderr is drained on its own thread, logged line by line and kept (the last few
 * lines only, so memory stays bounded) for the error message; {@link #stdout()} ends normally only
 * if the tool exited with 0, and otherwise throws at end of stream, so a pipeline reading it aborts
 * its upload; {@link #close()} kills the tool if it still runs.
 */
public final class ToolProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ToolProcess.class);
  private static final int KEPT_LINES = 20;
  private static final int MAX_LINE = 500;

  private final String what;
  private final Process process;
  private final Thread stderrPump;
  private final Deque<String> stderrTail = new ArrayDeque<>();

  private ToolProcess(String what, Process process) {
    this.what = what;
    this.process = process;
    this.stderrPump = new Thread(this::pumpStderr, "stderr-" + what);
    this.stderrPump.setDaemon(true);
    this.stderrPump.start();
  }

  /**
   * Starts {@code command} with {@code env} added to this process's environment.
   *
   * @param what names the tool and its target for messages ({@code pg_dump of database 'todo'})
   * @throws IOException if the tool cannot be started
   */
  public static ToolProcess start(String what, List<String> command, Map<String, String> env)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(diesWithThisProcess(command));
    builder.environment().putAll(env);
    try {
      return new ToolProcess(what, builder.start());
    } catch (IOException e) {
      throw new IOException(
          "unable to start " + what + " ('" + command.get(0) + "'): " + e.getMessage(), e);
    }
  }

  /**
   * {@code command} run so that the kernel kills it when the thread that starts it ends (through
   * util-linux's {@code setpriv --pdeathsig KILL}, which sets {@code PR_SET_PDEATHSIG} and then
   * executes the tool in the same process). A job killed with SIGKILL cannot clean up: without this
   * its {@code pg_dump} would run on, holding a connection and a snapshot. Where {@code setpriv} is
   * not on {@code PATH} (it is in the images and on every Debian or Ubuntu system) the tool runs as
   * it is, and {@link #close()} remains the only clean-up.
   *
   * <p>Restriction: the signal follows the starting <em>thread</em>, so a tool must be started by a
   * thread that outlives it (the commands start their tools on the thread that runs them).
   */
  static List<String> diesWithThisProcess(List<String> command) {
    String program = command.get(0);
    boolean found =
        program.contains("/")
            ? java.nio.file.Files.isExecutable(Path.of(program))
            : PgTools.onPath(program).isPresent();
    if (!found) {
      return command; // starting it fails, and the message names the tool, not setpriv
    }
    return SETPRIV
        .map(
            setpriv -> {
              List<String> wrapped = new ArrayList<>(List.of(setpriv, "--pdeathsig", "KILL", "--"));
              wrapped.addAll(command);
              return List.copyOf(wrapped);
            })
        .orElse(command);
  }

  private static final Optional<String> SETPRIV = PgTools.onPath("setpriv").map(Path::toString);

  /** The tool's stdin. */
  public OutputStream stdin() {
    return process.getOutputStream();
  }

  /** The tool's stdout; at its end, throws if the tool failed. */
  public InputStream stdout() {
    return new CheckedStdout(process.getInputStream());
  }

  /**
   * Waits for the tool to end.
   *
   * @throws IOException naming the tool, its exit code and its error lines if it failed
   */
  public void awaitSuccess() throws IOException {
    int code;
    try {
      code = process.waitFor();
      stderrPump.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + what, e);
    }
    if (code != 0) {
      throw new IOException(what + " exited with code " + code + ": " + errorSummary());
    }
  }

  /** The error lines the tool printed, or its last line, on one line. */
  public String errorSummary() {
    List<String> lines;
    synchronized (stderrTail) {
      lines = List.copyOf(stderrTail);
    }
    if (lines.isEmpty()) {
      return "(no error output)";
    }
    List<String> errors =
        lines.stream()
            .filter(l -> l.contains("error:") || l.contains("FATAL") || l.contains("ERROR"))
            .collect(Collectors.toList());
    return String.join(
        " / ", errors.isEmpty() ? lines.subList(lines.size() - 1, lines.size()) : errors);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the tool (and anything it started) if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    try {
      process.waitFor();
      stderrPump.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void pumpStderr() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String kept = line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line;
        LOG.warn("{}: {}", what, kept);
        synchronized (stderrTail) {
          stderrTail.addLast(kept);
          if (stderrTail.size() > KEPT_LINES) {
            stderrTail.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // The tool was killed; what it printed so far is kept.
    }
  }

  private final class CheckedStdout extends InputStream {
    private final InputStream in;
    private boolean checked;

    CheckedStdout(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b < 0) {
        atEnd();
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = in.read(buf, off, len);
      if (n < 0) {
        atEnd();
      }
      return n;
    }

    private void atEnd() throws IOException {
      if (!checked) {
        awaitSuccess();
        checked = true;
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
