package io.aido.backup.core.observability.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import io.aido.backup.core.config.Redaction;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * The text log line, for a person at a terminal:
 *
 * <pre>
 * 2026-11-24T02:00:00.123Z INFO    backup committed [backup_id=20261124T020000Z-a1b2c3 job=db-backup]
 * </pre>
 *
 * <p>Followed by the stack trace when there is one. The whole line, MDC and stack trace included,
 * passes through {@link Redaction#redact}, so registered secrets show as {@code ***}.
 */
public final class TextLogLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(128);
    b.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
    String severity = SeverityJsonProvider.severity(event.getLevel());
    b.append(severity).append(" ".repeat(Math.max(1, 8 - severity.length())));
    b.append(event.getFormattedMessage());
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      b.append(" [");
      String sep = "";
      for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
        b.append(sep).append(e.getKey()).append('=').append(e.getValue());
        sep = " ";
      }
      b.append(']');
    }
    b.append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      b.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
    }
    return Redaction.redact(b.toString());
  }
}
