package io.aido.backup.manifests;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What export, restore and extract share: the Kubernetes client and its loggers kept quiet (the API
 * server's errors in one line are {@link ApiErrors}).
 */
abstract class ManifestCommand extends JobCommand {
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
}
