package io.aido.backup.db;

import io.aido.backup.core.observability.Progress;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.ToolProcess;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A running {@code pg_dump} (or {@code pg_dumpall --globals-only}) whose output is read as a
 * stream, for the pipeline to compress, encrypt and store.
 *
 * <p>Guarantees: the dump is in custom format without pg_dump's own compression ({@code -Fc -Z0}:
 * the pipeline compresses better and on its own threads) and reads the exported snapshot it is
 * given; {@link #stream()} ends normally only if the tool exited with 0 and otherwise throws at end
 * of stream with the tool's error lines, so the upload is aborted; progress (bytes and rate) goes
 * to the log every few seconds; the password reaches the tool in its environment only. {@link
 * #close()} kills the tool if it still runs (an aborted upload).
 *
 * <pre>{@code
 * try (ConsistentSnapshot snap = ConsistentSnapshot.open(pg, "todo");
 *     PgDump dump = PgDump.database(pg, tools, "todo", snap.id())) {
 *   writer.writePart("todo.dump", dump.stream());
 * }
 * }</pre>
 */
public final class PgDump implements AutoCloseable {
  private final ToolProcess process;
  private final InputStream stream;

  private PgDump(ToolProcess process, String what) {
    this.process = process;
    this.stream = new Progress(process.stdout(), what);
  }

  /**
   * Starts {@code pg_dump -Fc -Z0 --snapshot=<snapshotId>} of {@code database}.
   *
   * @param snapshotId from {@link ConsistentSnapshot#id()}, or {@code null} for pg_dump's own
   * @throws IOException if pg_dump cannot be started
   */
  public static PgDump database(PgConnection pg, PgTools tools, String database, String snapshotId)
      throws IOException {
    List<String> command = new ArrayList<>(tools.commandWithLargeOutputBuffer("pg_dump"));
    command.addAll(List.of("-Fc", "-Z0"));
    if (snapshotId != null) {
      command.add("--snapshot=" + snapshotId);
    }
    command.add("--no-password");
    command.add("--dbname=" + PgConnection.conninfoDbname(database));
    String what = "pg_dump of database '" + database + "'";
    return new PgDump(ToolProcess.start(what, command, pg.childEnv(database)), what);
  }

  /**
   * Starts {@code pg_dumpall --globals-only}: roles, their memberships and settings, and
   * tablespaces, as SQL.
   *
   * @param withRolePasswords include the roles' password hashes; without it ({@code
   *     --no-role-passwords}) restored roles have no password, and a non-superuser can dump
   */
  public static PgDump globals(PgConnection pg, PgTools tools, boolean withRolePasswords)
      throws IOException {
    List<String> command =
        new ArrayList<>(List.of(tools.command("pg_dumpall"), "--globals-only", "--no-password"));
    if (!withRolePasswords) {
      command.add("--no-role-passwords");
    }
    String what = "pg_dumpall --globals-only of server '" + pg.server() + "'";
    return new PgDump(ToolProcess.start(what, command, pg.childEnv("postgres")), what);
  }

  /** The dump's bytes; throws at end of stream if the tool failed. */
  public InputStream stream() {
    return stream;
  }

  /** Kills the tool if it still runs. */
  @Override
  public void close() {
    process.close();
  }
}
