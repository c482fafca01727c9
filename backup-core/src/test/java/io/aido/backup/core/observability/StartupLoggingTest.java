package io.aido.backup.core.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.observability.internal.StartupLogging;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class StartupLoggingTest {

  @Test
  void isTheConfiguratorLogbackFindsAtStart() {
    assertThat(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class))
        .anyMatch(c -> c instanceof StartupLogging);
  }

  @Test
  void configure_withoutTestConfiguration_setsUpOneAppenderAtInfoAndStopsThere() {
    // JSON on stdout unless the environment running the tests asks for text
    boolean text =
        LogFormat.parse(System.getenv("BACKUP_LOG_FORMAT")).orElse(LogFormat.JSON)
            == LogFormat.TEXT;
    LoggerContext context = new LoggerContext();
    StartupLogging configurator = new StartupLogging();
    configurator.setContext(context);

    ExecutionStatus status = configurator.configure(context);

    assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(root.getAppender(text ? "stderr-text" : "stdout-json")).isNotNull();
    assertThat(context.getLogger("com.google").getLevel()).isEqualTo(Level.WARN);
    context.stop();
  }
}
