package io.aido.backup.db;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.postgres.DbJobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import java.io.IOException;
import java.security.GeneralSecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the database commands share: the PostgreSQL connection from the libpq variables, the client
 * tools, opening the repository with a checked key, and one clear line with the right exit code
 * when a {@link DbJobException} ends the run.
 */
abstract class DbCommand extends JobCommand {
  private static final Logger LOG = LoggerFactory.getLogger(DbCommand.class);

  private PgConnection pg;

  @Override
  protected void validate(ConfigProblems problems) {
    pg = PgConnection.fromEnv(env(), problems);
    validateCommand(problems);
  }

  /** This command's own configuration checks. */
  protected void validateCommand(ConfigProblems problems) {}

  @Override
  protected final int run() throws Exception {
    try {
      return runDb();
    } catch (DbJobException e) {
      String line = Redaction.redact("error: " + e.getMessage());
      if (runOptions().logFormat() == LogFormat.JSON) {
        LOG.error(line);
      }
      context().err().println(line);
      return e.exitCode();
    }
  }

  /** Does the work; a {@link DbJobException} becomes its one line and exit code. */
  protected abstract int runDb() throws Exception;

  protected final PgConnection pg() {
    return pg;
  }

  protected final PgTools tools() {
    return PgTools.fromEnv(env());
  }

  /**
   * Proves the key-encryption key works before any byte moves: a throwaway data key is wrapped and
   * unwrapped with it (for Cloud KMS, this reaches KMS).
   *
   * @throws DbJobException exit code 1 naming the key if it cannot be used
   */
  protected static void checkKeyUsable(KeyEncryptionKey kek) throws DbJobException {
    try {
      DataKey.unwrap(DataKey.generate().wrap(kek), kek);
    } catch (GeneralSecurityException e) {
      throw DbJobException.failed(
          "unable to use key-encryption key '" + kek.id() + "': " + e.getMessage(), e);
    }
  }

  /**
   * The repository in {@code store} for a command that only reads (a restore): never created, so a
   * mistyped or empty location fails as the bad {@code --storage-url} it is (exit 2) instead of
   * becoming an empty repository that holds no backup.
   */
  protected final Repository openRepositoryToRead(BlobStore store) throws DbJobException {
    try {
      return openExistingRepository(store);
    } catch (IOException e) {
      throw DbJobException.failed(e.getMessage(), e);
    }
  }

  /**
   * The repository in {@code store}, written with {@code settings} (a writing command's
   * compression).
   */
  protected final Repository openRepository(BlobStore store, PipelineSettings settings)
      throws DbJobException {
    try {
      return Repository.open(store, new Pipeline(settings), clock());
    } catch (IOException e) {
      throw DbJobException.failed(e.getMessage(), e);
    }
  }
}
