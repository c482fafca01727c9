package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/** Turns driver errors on connect into one clear line and the right exit code. */
public final class PgErrors {
  private PgErrors() {}

  /**
   * What went wrong connecting to {@code database} through {@code pg}.
   *
   * <p>pgjdbc's messages never contain the password, so they may be quoted.
   */
  public static JobException onConnect(SQLException e, PgConnection pg, String database) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    switch (state) {
      case "28P01", "28000":
        return JobException.badInput(
            "unable to connect to database '"
                + database
                + "' on server '"
                + pg.server()
                + "': authentication failed for user '"
                + pg.user()
                + "' (check PGUSER and PGPASSWORD or the password file)");
      case "08004":
        return JobException.badInput(
            "unable to connect to database '"
                + database
                + "' on server '"
                + pg.server()
                + "': "
                + firstLine(e.getMessage()));
      case "3D000":
        return JobException.badInput(
            "unable to back up missing database '"
                + database
                + "' on server '"
                + pg.server()
                + "': it does not exist");
      default:
        break;
    }
    Throwable network = networkCause(e);
    if (network != null) {
      return JobException.failed(
          "unable to reach PostgreSQL server '"
              + pg.server()
              + "': "
              + network.getClass().getSimpleName()
              + (network.getMessage() == null ? "" : ": " + network.getMessage()),
          e);
    }
    return JobException.failed(
        "unable to connect to database '"
            + database
            + "' on server '"
            + pg.server()
            + "': "
            + firstLine(e.getMessage()),
        e);
  }

  private static Throwable networkCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketException
          || t instanceof UnknownHostException
          || t instanceof NoRouteToHostException
          || t instanceof SocketTimeoutException) {
        return t;
      }
    }
    return null;
  }

  public static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    String stripped = s.strip();
    int nl = stripped.indexOf('\n');
    return nl < 0 ? stripped : stripped.substring(0, nl);
  }
}
