package io.aido.backup.postgres;

import io.aido.backup.core.config.Environment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where the PostgreSQL client tools ({@code pg_dump}, {@code pg_dumpall}, {@code pg_restore}) are,
 * and which version they are.
 *
 * <p>The directory is {@code PG_BIN_DIR} if set, else the newest {@code
 * /usr/lib/postgresql/<major>/bin} (Debian's layout, where several majors can sit side by side and
 * the newest pg_dump reads every older server), else the tools are looked up on {@code PATH}.
 */
public final class PgTools {
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");
  private static final Path DEBIAN_ROOT = Paths.get("/usr/lib/postgresql");

  private final Path binDir;

  private PgTools(Path binDir) {
    this.binDir = binDir;
  }

  /** Tools in {@code binDir}, or on {@code PATH} if it is {@code null}. */
  public static PgTools in(Path binDir) {
    return new PgTools(binDir);
  }

  /** Tools found as described in the class comment. */
  public static PgTools fromEnv(Environment env) {
    String explicit = env.value("PG_BIN_DIR");
    if (explicit != null) {
      return new PgTools(Paths.get(explicit.strip()));
    }
    return new PgTools(newestDebianBinDir().orElse(null));
  }

  private static Optional<Path> newestDebianBinDir() {
    if (!Files.isDirectory(DEBIAN_ROOT)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(DEBIAN_ROOT)) {
      return dirs.filter(d -> d.getFileName().toString().matches("\\d+"))
          .filter(d -> Files.isExecutable(d.resolve("bin/pg_dump")))
          .max(Comparator.comparingInt(d -> Integer.parseInt(d.getFileName().toString())))
          .map(d -> d.resolve("bin"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The command to run {@code tool} ({@code pg_dump}, ...). */
  public String command(String tool) {
    return binDir == null ? tool : binDir.resolve(tool).toString();
  }

  /**
   * The command line that runs {@code tool} with its standard output written in blocks of {@value
   * #OUTPUT_BUFFER}, for tools whose output is the data ({@code pg_dump}). They write through
   * stdio, whose buffer on a pipe is one page: 4 KiB per system call and per wake-up of the reading
   * thread, which on the reference dump cost about a CPU-second of both sides. coreutils' {@code
   * stdbuf} changes that buffer; where it is not on {@code PATH} (it is in the images and on every
   * Debian or Ubuntu system) the tool runs as it is.
   */
  public List<String> commandWithLargeOutputBuffer(String tool) {
    return STDBUF
        .map(stdbuf -> List.of(stdbuf.toString(), "-o", OUTPUT_BUFFER, command(tool)))
        .orElseGet(() -> List.of(command(tool)));
  }

  private static final String OUTPUT_BUFFER = "1M";

  private static final Optional<Path> STDBUF = onPath("stdbuf");

  /** {@code program} as found on {@code PATH}, if it is there. */
  static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Paths.get(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * The major and minor version that {@code tool --version} reports.
   *
   * @throws IOException if the tool cannot be run or reports no version
   */
  public ToolVersion version(String tool) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command(tool), "--version").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("unable to run '" + command(tool) + "': " + e.getMessage(), e);
    }
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("'" + command(tool) + " --version' did not end within 30 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running '" + command(tool) + " --version'", e);
    }
    return ToolVersion.parse(out)
        .orElseThrow(
            () ->
                new IOException(
                    "unable to read the version of '" + command(tool) + "' from: " + out));
  }

  /**
   * A tool's version.
   *
   * @param major the major version (15)
   * @param text what the tool printed ({@code pg_dump (PostgreSQL) 15.14 (Debian ...)})
   */
  public record ToolVersion(int major, String text) {
    static Optional<ToolVersion> parse(String output) {
      Matcher m = VERSION.matcher(output);
      return m.find()
          ? Optional.of(
              new ToolVersion(
                  Integer.parseInt(m.group(1)), output.lines().findFirst().orElse(output)))
          : Optional.empty();
    }
  }

  @Override
  public String toString() {
    return binDir == null ? "PgTools[PATH]" : "PgTools[" + binDir + "]";
  }
}
