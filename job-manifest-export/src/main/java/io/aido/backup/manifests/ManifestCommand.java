package io.aido.backup.manifests;

import io.aido.backup.core.cli.JobCommand;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What export, restore and extract share: the Kubernetes client, its loggers kept quiet, and the
 * API server's errors in one line.
 */
abstract class ManifestCommand extends JobCommand {
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
    return runManifests();
  }

  /** Does the work, once the Kubernetes client's loggers were quietened. */
  protected abstract int runManifests() throws Exception;

  /** A new client from the job's configuration; the caller closes it. */
  protected final KubernetesClient newClient() {
    return ((Main) spec().root().userObject()).newClient();
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
