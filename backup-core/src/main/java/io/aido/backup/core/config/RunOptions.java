package io.aido.backup.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Options every command of a job accepts, before or after the subcommand's name (they are inherited
 * by every subcommand):
 *
 * <ul>
 *   <li>{@code --log-format json|text} ({@code BACKUP_LOG_FORMAT}, default {@code json});
 *   <li>{@code --debug} ({@code BACKUP_DEBUG=true}): debug logging and stack traces on failure;
 *   <li>{@code --cluster-name} ({@code BACKUP_CLUSTER_NAME}): recorded as the source cluster and
 *       used as a metrics label;
 *   <li>{@code --pushgateway-url} ({@code BACKUP_PUSHGATEWAY_URL}): where run metrics are pushed,
 *       {@code http://host:port}; nothing is pushed when unset.
 * </ul>
 */
public final class RunOptions implements ValidatedOptions {

  @Option(
      names = "--log-format",
      paramLabel = "json|text",
      defaultValue = "json",
      scope = ScopeType.INHERIT,
      description =
          "Log lines as JSON on stdout (default, for Cloud Logging and Loki) or as text on"
              + " stderr (for a terminal).")
  private String logFormat;

  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description = "Log at debug level and print stack traces of failures.")
  private boolean debug;

  @Option(
      names = "--cluster-name",
      paramLabel = "NAME",
      scope = ScopeType.INHERIT,
      description = "Name of the cluster being backed up, recorded in backups and metrics.")
  private String clusterName;

  @Option(
      names = "--pushgateway-url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "Prometheus Pushgateway (http://host:port) that receives run metrics.")
  private String pushgatewayUrl;

  @Override
  public void validate(ConfigProblems problems) {
    if (LogFormat.parse(logFormat).isEmpty()) {
      problems.add(
          EnvironmentDefaults.describe("--log-format"),
          "'" + logFormat + "' is not a log format (expected json or text)");
    }
    if (pushgatewayUrl != null && !pushgatewayUrl.isBlank()) {
      String problem = pushgatewayProblem(pushgatewayUrl.trim());
      if (problem != null) {
        problems.add(EnvironmentDefaults.describe("--pushgateway-url"), problem);
      }
    }
  }

  private static String pushgatewayProblem(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "'" + url + "' is not a URL (expected http://host:port)";
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      return "'" + url + "' must start with http:// or https://";
    }
    if (uri.getRawUserInfo() != null) {
      return "must not contain credentials";
    }
    if (uri.getHost() == null) {
      return "'" + url + "' has no host (expected http://host:port)";
    }
    if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
      return "'" + url + "' must not have a path (expected http://host:port)";
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      return "'" + url + "' must not have a query or fragment";
    }
    return null;
  }

  /** The chosen log format; JSON when the setting is invalid (validation reports it). */
  public LogFormat logFormat() {
    return LogFormat.parse(logFormat).orElse(LogFormat.JSON);
  }

  public boolean debug() {
    return debug;
  }

  /** The cluster name, if set. */
  public Optional<String> clusterName() {
    return clusterName == null || clusterName.isBlank()
        ? Optional.empty()
        : Optional.of(clusterName.trim());
  }

  /** The Pushgateway, if set; call after a {@link #validate} that found no problem. */
  public Optional<URI> pushgateway() {
    return pushgatewayUrl == null || pushgatewayUrl.isBlank()
        ? Optional.empty()
        : Optional.of(URI.create(pushgatewayUrl.trim()));
  }
}
