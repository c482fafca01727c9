package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The database the pg_restore runs of an {@link OverlappedRestore} restore into, and how: each run
 * stops at its first error and leaves out what {@code options} say.
 *
 * @param pg the server
 * @param tools where pg_restore is
 * @param database the database restored into
 * @param options what to leave out (owners, privileges)
 */
record PgRestoreTarget(PgConnection pg, PgTools tools, String database, PgRestore.Options options) {

  /** The pg_restore command line into the database, for the caller to add its sections to. */
  List<String> command() {
    List<String> command =
        new ArrayList<>(List.of(tools.command("pg_restore"), "--no-password", "--exit-on-error"));
    if (options.noOwner()) {
      command.add("--no-owner");
    }
    if (options.noPrivileges()) {
      command.add("--no-privileges");
    }
    command.add("--dbname=" + PgConnection.conninfoDbname(database));
    return command;
  }

  /**
   * Starts {@code command} with the server's connection environment.
   *
   * @throws IOException if it cannot be started
   */
  ToolProcess start(String what, List<String> command) throws IOException {
    return ToolProcess.start(what, command, pg.childEnv(database));
  }

  /** A pg_restore run failed, or could not be started. */
  JobException failed(IOException e) {
    return JobException.failed(
        "unable to restore into database '"
            + database
            + "' on server '"
            + pg.server()
            + "': "
            + e.getMessage(),
        e);
  }
}
