package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.observability.ByteSizes;
import io.aido.backup.core.observability.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a custom-format dump, read from a stream, into a database with {@code pg_restore}.
 *
 * <p>Guarantees: pg_restore runs with {@code --single-transaction --exit-on-error}, so a restore
 * that fails for any reason (a tool error, a dump stream that breaks or fails authentication
 * halfway) changes nothing in the target; a database this class created for the restore is dropped
 * again when the restore fails. Before any byte moves, {@link #prepareTarget} refuses a target that
 * already holds tables (unless {@code clean}), a missing target (unless {@code create}) and, unless
 * {@code noOwner}, a server lacking a role that owns objects in the dump.
 *
 * <pre>{@code
 * Options opts = new Options(false, true, false);
 * boolean created = PgRestore.prepareTarget(pg, "todo_copy", opts, owners);
 * PgRestore.restore(pg, tools, dumpStream, "todo_copy", opts, created);
 * RowCountComparison cmp = RowCountComparison.of(recorded, PgRestore.countRows(pg, "todo_copy"));
 * }</pre>
 */
public final class PgRestore {
  private static final Logger LOG = LoggerFactory.getLogger(PgRestore.class);

  private PgRestore() {}

  /**
   * How to restore.
   *
   * @param clean drop the dump's objects from the target before recreating them ({@code --clean
   *     --if-exists}); needed when the target already holds tables
   * @param create create the target database first; it must not exist
   * @param noOwner leave every object owned by the restoring user ({@code --no-owner}) instead of
   *     giving it its original owner, for servers that lack the original roles
   * @param noPrivileges leave out the dump's grants and revokes ({@code --no-privileges}), for
   *     servers that lack the roles they name (a scratch server for a test restore)
   */
  public record Options(boolean clean, boolean create, boolean noOwner, boolean noPrivileges) {
    /** With the dump's privileges restored. */
    public Options(boolean clean, boolean create, boolean noOwner) {
      this(clean, create, noOwner, false);
    }
  }

  /**
   * Checks the target and creates it if asked.
   *
   * @param owners the roles that own objects in the dump (from the backup record)
   * @return whether the database was created here
   * @throws JobException exit code 2 when the target is refused (it exists with {@code create}, is
   *     missing without it, holds tables without {@code clean}, or lacks an owner role), 1 when the
   *     server cannot be reached or creating the database fails
   */
  public static boolean prepareTarget(
      PgConnection pg, String target, Options options, Collection<String> owners)
      throws JobException {
    boolean created = false;
    if (options.create()) {
      Databases.create(pg, target);
      created = true;
    }
    try (Connection c = pg.open(target)) {
      int tables = countTables(c);
      if (tables > 0 && !options.clean()) {
        throw JobException.badInput(
            "unable to restore into database '"
                + target
                + "' on server '"
                + pg.server()
                + "': it already holds "
                + tables
                + " table(s); pass --clean to replace the dump's objects, or choose another database");
      }
      if (!options.noOwner()) {
        Set<String> missing = Owners.missing(c, owners);
        if (!missing.isEmpty()) {
          throw JobException.badInput(
              "unable to restore into database '"
                  + target
                  + "' on server '"
                  + pg.server()
                  + "': role(s) "
                  + String.join(", ", missing)
                  + " own objects in the backup but do not exist there; restore the globals"
                  + " backup first, or pass --no-owner to let the restoring user own everything");
        }
      }
    } catch (SQLException e) {
      JobException failure =
          "3D000".equals(e.getSQLState())
              ? JobException.badInput(
                  "unable to restore into missing database '"
                      + target
                      + "' on server '"
                      + pg.server()
                      + "': it does not exist; pass --create to create it")
              : PgErrors.onConnect(e, pg, target);
      dropIfCreated(pg, target, created, failure);
      throw failure;
    } catch (JobException e) {
      dropIfCreated(pg, target, created, e);
      throw e;
    }
    return created;
  }

  /**
   * Feeds {@code dump} to pg_restore into {@code target}.
   *
   * @param createdTarget whether {@link #prepareTarget} created the database (it is dropped again
   *     if the restore fails)
   * @return the dump bytes restored
   * @throws JobException exit code 1 naming what failed (reading the dump or pg_restore) and saying
   *     that nothing was restored
   */
  public static long restore(
      PgConnection pg,
      PgTools tools,
      InputStream dump,
      String target,
      Options options,
      boolean createdTarget)
      throws JobException {
    List<String> command =
        new ArrayList<>(
            List.of(
                tools.command("pg_restore"),
                "--no-password",
                "--single-transaction",
                "--exit-on-error"));
    if (options.clean()) {
      command.add("--clean");
      command.add("--if-exists");
    }
    if (options.noOwner()) {
      command.add("--no-owner");
    }
    if (options.noPrivileges()) {
      command.add("--no-privileges");
    }
    command.add("--dbname=" + PgConnection.conninfoDbname(target));
    String what = "pg_restore into database '" + target + "'";
    Progress fed = new Progress(dump, what);
    try (ToolProcess restore = ToolProcess.start(what, command, pg.childEnv(target))) {
      IOException sourceFailure = null;
      try (OutputStream stdin = restore.stdin()) {
        byte[] buf = new byte[1 << 16];
        while (true) {
          int n;
          try {
            n = fed.read(buf);
          } catch (IOException e) {
            sourceFailure = e;
            break;
          }
          if (n < 0) {
            break;
          }
          stdin.write(buf, 0, n);
        }
      } catch (IOException e) {
        // pg_restore stopped reading: it failed, and its exit code and message say why.
      }
      if (sourceFailure != null) {
        restore.close();
        throw failed(
            pg,
            target,
            createdTarget,
            "reading the backup failed: " + sourceFailure.getMessage(),
            sourceFailure);
      }
      restore.awaitSuccess();
      LOG.info("{}: finished, {} of dump restored", what, ByteSizes.human(fed.bytes()));
    } catch (IOException e) {
      throw failed(pg, target, createdTarget, e.getMessage(), e);
    }
    return fed.bytes();
  }

  /**
   * Restores the dump file {@code dump} into {@code target} with {@code jobs} parallel pg_restore
   * workers ({@code --jobs}, which cannot run in one transaction: on failure {@code target} holds
   * part of the dump, so it must be a database created for this restore).
   *
   * @param createdTarget whether the target was created for this restore (it is dropped again if
   *     the restore fails)
   * @throws JobException exit code 1 naming what failed
   */
  public static void restoreFile(
      PgConnection pg,
      PgTools tools,
      Path dump,
      String target,
      Options options,
      int jobs,
      boolean createdTarget)
      throws JobException {
    List<String> command =
        new ArrayList<>(
            List.of(
                tools.command("pg_restore"), "--no-password", "--exit-on-error", "--jobs=" + jobs));
    if (options.noOwner()) {
      command.add("--no-owner");
    }
    if (options.noPrivileges()) {
      command.add("--no-privileges");
    }
    command.add("--dbname=" + PgConnection.conninfoDbname(target));
    command.add(dump.toString());
    String what = "pg_restore --jobs=" + jobs + " into database '" + target + "'";
    try (ToolProcess restore = ToolProcess.start(what, command, pg.childEnv(target))) {
      restore.stdin().close();
      restore.awaitSuccess();
      LOG.info("{}: finished", what);
    } catch (IOException e) {
      JobException failure =
          JobException.failed(
              "unable to restore into database '"
                  + target
                  + "' on server '"
                  + pg.server()
                  + "': "
                  + e.getMessage()
                  + (createdTarget
                      ? "; the database it restored into was dropped, so nothing was restored"
                      : ""),
              e);
      dropIfCreated(pg, target, createdTarget, failure);
      throw failure;
    }
  }

  /** Exact row counts of every user table in {@code database} (see {@link RowCounts}). */
  public static Map<String, Long> countRows(PgConnection pg, String database) throws JobException {
    try (Connection c = pg.open(database)) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      Map<String, Long> counts = RowCounts.count(c);
      c.rollback();
      return counts;
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to count rows in database '"
              + database
              + "' on server '"
              + pg.server()
              + "': "
              + PgErrors.firstLine(e.getMessage()),
          e);
    }
  }

  private static JobException failed(
      PgConnection pg, String target, boolean createdTarget, String cause, Throwable e) {
    JobException failure =
        JobException.failed(
            "unable to restore into database '"
                + target
                + "' on server '"
                + pg.server()
                + "': "
                + cause
                + "; pg_restore ran in one transaction, so nothing was restored"
                + (createdTarget ? " and the database it created was dropped" : ""),
            e);
    dropIfCreated(pg, target, createdTarget, failure);
    return failure;
  }

  /** Drops the target again when {@link #prepareTarget} created it and the restore will not run. */
  public static void abandonCreated(PgConnection pg, String target, boolean created) {
    dropIfCreated(pg, target, created, new IllegalStateException("restore abandoned"));
  }

  private static void dropIfCreated(
      PgConnection pg, String target, boolean created, Exception failure) {
    if (!created) {
      return;
    }
    try {
      Databases.drop(pg, target);
    } catch (JobException e) {
      failure.addSuppressed(e);
    }
  }

  private static int countTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN"
                    + " ('pg_catalog', 'information_schema')"
                    + " AND n.nspname NOT LIKE 'pg\\_toast%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
