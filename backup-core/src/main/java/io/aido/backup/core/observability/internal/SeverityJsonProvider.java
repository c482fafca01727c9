package io.aido.backup.core.observability.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import net.logstash.logback.composite.AbstractFieldJsonProvider;

/**
 * Writes {@code "severity"} with the names Cloud Logging understands ({@code WARNING}, not
 * Logback's {@code WARN}); Loki and others read them as well.
 */
public final class SeverityJsonProvider extends AbstractFieldJsonProvider<ILoggingEvent> {

  public SeverityJsonProvider() {
    setFieldName("severity");
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    generator.writeStringField(getFieldName(), severity(event.getLevel()));
  }

  static String severity(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> "ERROR";
      case Level.WARN_INT -> "WARNING";
      case Level.INFO_INT -> "INFO";
      default -> "DEBUG";
    };
  }
}
