package io.aido.backup.db;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;

/**
 * What the database commands share: the PostgreSQL connection from the libpq variables and the
 * client tools.
 */
abstract class DbCommand extends JobCommand {
  private PgConnection pg;

  @Override
  protected void validate(ConfigProblems problems) {
    pg = PgConnection.fromEnv(env(), problems);
    validateCommand(problems);
  }

  /** This command's own configuration checks. */
  protected void validateCommand(ConfigProblems problems) {}

  protected final PgConnection pg() {
    return pg;
  }

  protected final PgTools tools() {
    return PgTools.fromEnv(env());
  }
}
