package io.aido.backup.postgres.pitr;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.postgres.ToolProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The data directory a point-in-time restore writes: refused unless empty, created owner-only,
 * filled from a base backup's tar, and given the recovery settings.
 *
 * <p>Restrictions: never overwrites; a failure part-way leaves the directory incomplete, and the
 * messages say to empty it before trying again.
 */
public final class DataDirectory {
  private final Path dir;

  public DataDirectory(Path dir) {
    this.dir = dir;
  }

  public Path path() {
    return dir;
  }

  /**
   * Checks the directory is absent or empty.
   *
   * @throws JobException (usage) if it is a file or holds anything
   */
  public void checkEmpty() throws JobException, IOException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw JobException.badInput("--pgdata '" + dir + "' is not a directory");
      }
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw JobException.badInput(
              "--pgdata '"
                  + dir
                  + "' is not empty: restore-pitr never overwrites a data directory; empty it or"
                  + " name another; nothing was restored");
        }
      }
    }
  }

  /** Creates the directory readable by its owner only, as PostgreSQL requires. */
  public void create() throws IOException {
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: PostgreSQL does not check the mode there either
    }
  }

  /**
   * Extracts the tar read from {@code tar} (a base backup's part) into the directory.
   *
   * @param tar opens the part; closed here
   * @throws JobException if reading the part or tar fails
   */
  public void unpack(BackupId base, PartOpener tar) throws JobException {
    String what = "tar extracting base backup " + base;
    try (ToolProcess process =
            ToolProcess.start(
                what,
                List.of("tar", "-x", "-f", "-", "-C", dir.toString(), "--no-same-owner"),
                Map.of());
        InputStream in = tar.open()) {
      try (OutputStream stdin = process.stdin()) {
        in.transferTo(stdin);
      }
      process.awaitSuccess();
    } catch (IOException e) {
      throw JobException.failed(
          "unable to unpack base backup "
              + base
              + " into '"
              + dir
              + "': "
              + PartReadException.withoutOutcome(e)
              + "; the data directory is incomplete, empty it before trying again",
          e);
    }
  }

  /** Opens a part's plaintext. */
  public interface PartOpener {
    InputStream open() throws IOException;
  }

  /**
   * Appends {@code settings} to {@code postgresql.auto.conf}, creates {@code recovery.signal} and
   * removes a {@code postmaster.pid} the copy carried, so the server starts into recovery.
   */
  public void writeRecovery(String settings) throws IOException {
    Files.writeString(
        dir.resolve("postgresql.auto.conf"),
        settings,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.write(dir.resolve("recovery.signal"), new byte[0]);
    Files.deleteIfExists(dir.resolve("postmaster.pid"));
  }
}
