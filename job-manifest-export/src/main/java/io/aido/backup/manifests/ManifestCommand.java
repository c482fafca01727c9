package io.aido.backup.manifests;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What export and restore share: the Kubernetes client, the repository, and one clear line with the
 * right exit code when a {@link ManifestJobException} ends the run.
 */
abstract class ManifestCommand extends JobCommand {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestCommand.class);

  /** The name our writes carry in {@code managedFields}. */
  static final String FIELD_MANAGER = "aido-backup";

  /**
   * Loggers of the Kubernetes client and its HTTP stack: at debug level they may print request and
   * response bodies, which hold Secrets. They stay at INFO even with {@code --debug}.
   */
  private static final List<String> QUIET_LOGGERS = List.of("io.fabric8", "io.vertx", "io.netty");

  @Override
  protected final int run() throws Exception {
    for (String name : QUIET_LOGGERS) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
      }
    }
    try {
      return runManifests();
    } catch (ManifestJobException e) {
      String line = Redaction.redact("error: " + e.getMessage());
      if (runOptions().logFormat() == LogFormat.JSON) {
        LOG.error(line);
      }
      context().err().println(line);
      return e.exitCode();
    }
  }

  /** Does the work; a {@link ManifestJobException} becomes its one line and exit code. */
  protected abstract int runManifests() throws Exception;

  /** A new client from the job's configuration; the caller closes it. */
  protected final KubernetesClient newClient() {
    return ((Main) spec().root().userObject()).newClient();
  }

  /**
   * The repository in {@code store} for a command that only reads (a restore): never created, so a
   * mistyped or empty location fails as the bad {@code --storage-url} it is (exit 2) instead of
   * becoming an empty repository that holds no backup.
   */
  protected final Repository openRepositoryToRead(BlobStore store) throws ManifestJobException {
    try {
      return openExistingRepository(store);
    } catch (IOException e) {
      throw ManifestJobException.failed(e.getMessage(), e);
    }
  }

  /**
   * The repository in {@code store}, written with {@code settings} (a writing command's
   * compression).
   */
  protected final Repository openRepository(BlobStore store, PipelineSettings settings)
      throws ManifestJobException {
    try {
      return Repository.open(store, new Pipeline(settings), clock());
    } catch (IOException e) {
      throw ManifestJobException.failed(e.getMessage(), e);
    }
  }

  /**
   * What the API server said, in one line: the status code and reason, and the server's message
   * unless {@code mayQuoteValues} (a Secret's validation error could quote what it holds).
   */
  static String reason(KubernetesClientException e, boolean mayQuoteValues) {
    StringBuilder b = new StringBuilder();
    if (e.getCode() > 0) {
      b.append("HTTP ").append(e.getCode());
    }
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    if (reason != null && !reason.isBlank()) {
      b.append(b.length() > 0 ? " " : "").append(reason);
    }
    if (!mayQuoteValues) {
      String message =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : e.getCode() > 0 ? null : rootMessage(e);
      if (message != null && !message.isBlank()) {
        b.append(b.length() > 0 ? ": " : "").append(message.lines().findFirst().orElse(""));
      }
    }
    return b.length() == 0 ? "unknown error from the API server" : b.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
