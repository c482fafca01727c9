package io.aido.backup.core.cli;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.config.Secret;
import io.aido.backup.core.config.Secrets;
import io.aido.backup.core.observability.AuditAction;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A job as the real ones are built, with a command whose outcome the test chooses. */
@Command(
    name = "test-job",
    description = "A job for tests.",
    subcommands = {
      TestJob.Work.class,
      TestJob.Measured.class,
      TestJob.Audited.class,
      TestJob.Labelled.class
    })
final class TestJob extends JobMain {

  /** Reads TEST_PASSWORD as a secret, logs with it around, then ends as {@code --outcome} says. */
  @Command(name = "work", description = "Does test work.")
  static final class Work extends JobCommand {
    private static final Logger LOG = LoggerFactory.getLogger(Work.class);

    @Mixin RepositoryOptions repository;

    @Option(names = "--outcome", paramLabel = "OUTCOME", defaultValue = "done")
    String outcome;

    Optional<Secret> password = Optional.empty();

    @Override
    protected void validate(ConfigProblems problems) {
      password = Secrets.fromEnvironment(env(), "TEST_PASSWORD", problems);
    }

    @Override
    protected int run() throws Exception {
      String secret = password.map(Secret::reveal).orElse("none");
      MDC.put("backup_id", "20261124T020000Z-a1b2c3");
      MDC.put("credential", secret);
      try {
        LOG.info("connecting with password {} to {}", secret, repository.storageUrl());
        LOG.warn("password in the message: " + secret);
        switch (outcome) {
          case "done":
            out().println("work done");
            return ExitCodes.DONE;
          case "failed":
            throw new IOException("unable to connect as user with password " + secret);
          case "bad-backup":
            throw new VerificationFailedException(
                "backup 20261124T020000Z-a1b2c3 part 0: authentication failed");
          case "bug":
            throw new NullPointerException();
          default:
            throw new IllegalStateException("unknown outcome " + outcome);
        }
      } finally {
        MDC.remove("backup_id");
        MDC.remove("credential");
      }
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }
  }

  /** A job command whose runs are pushed as metrics. */
  @Command(name = "measured", description = "Records a metric.")
  static final class Measured extends JobCommand {
    @Option(names = "--fail")
    boolean fail;

    /** A mode scheduled apart from the plain runs, pushed under its own command label. */
    @Option(names = "--drill")
    boolean drill;

    @Override
    public String metricsCommand() {
      return drill ? "measured-drill" : super.metricsCommand();
    }

    @Override
    protected int run() throws IOException {
      metrics().gauge("backup_test_value", "A test value.", 7);
      if (fail) {
        throw new IOException("measured work failed");
      }
      return ExitCodes.DONE;
    }
  }

  /** Records that it read a backup. */
  @Command(name = "audited", description = "Records an audit event.")
  static final class Audited extends JobCommand {
    @Mixin RepositoryOptions repository = RepositoryOptions.keyOptional();

    @Override
    protected int run() throws IOException {
      audit(repository.openStore())
          .record(
              AuditAction.READ,
              BackupKind.DB_LOGICAL,
              new BackupId("20261124T020000Z-a1b2c3"),
              Map.of("why", "test"));
      return ExitCodes.DONE;
    }
  }

  /** Prints the labels its option with two names was given. */
  @Command(name = "labelled", description = "Prints its labels.")
  static final class Labelled extends JobCommand {
    @Option(
        names = {"--label", "--labels"},
        paramLabel = "LABEL")
    String labels;

    @Override
    protected int run() {
      out().println("labels " + labels);
      return ExitCodes.DONE;
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }
  }
}
