package io.aido.backup.core.observability.internal;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.aido.backup.core.config.LogFormat;

/**
 * Logging from the start of the process until a job has read its command line: the format named by
 * {@code BACKUP_LOG_FORMAT} (JSON on stdout when unset or unknown) at INFO, secrets masked, the
 * chatty client libraries at WARN. {@link Logging#configure} then applies the run's own choice.
 *
 * <p>Registered as logback's {@link Configurator} (in {@code META-INF/services}), so logback reads
 * no XML when a job starts: its XML configurator and parser cost about a tenth of a second of every
 * run. A {@code logback-test.xml} on the class path, or a file named by the system property {@code
 * logback.configurationFile}, still applies (tests use them).
 */
public final class StartupLogging extends ContextAwareBase implements Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || StartupLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LogFormat format = LogFormat.parse(System.getenv("BACKUP_LOG_FORMAT")).orElse(LogFormat.JSON);
    Logging.apply(context, format, false, System.out, System.err);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
