package io.aido.backup.core.observability.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.aido.backup.core.config.LogFormat;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Sets up logging for a run. Where logs go:
 *
 * <ul>
 *   <li>{@link LogFormat#JSON} (the default): JSON lines ({@link JsonLogEncoder}) on <b>stdout</b>,
 *       where Cloud Logging and Loki collect a container's output;
 *   <li>{@link LogFormat#TEXT}: readable lines ({@link TextLogLayout}) on <b>stderr</b>, so that a
 *       command's own output on stdout ({@code catalog list --json | jq}) stays clean.
 * </ul>
 *
 * <p>Level INFO, or DEBUG for everything with {@code debug}; the chatty client libraries (gRPC,
 * Netty, Google's HTTP stack) stay at WARN unless debugging. Before {@link #configure} runs, {@link
 * StartupLogging} applies: the format of {@code BACKUP_LOG_FORMAT} at INFO.
 *
 * <p>Restriction: logging is process-wide; the last call wins.
 */
public final class Logging {
  // at debug, the Kubernetes client and its HTTP stack may print request and response bodies,
  // which hold Secrets (a Dapr Component's secretKeyRef, an exported Secret): INFO even with
  // --debug
  private static final List<String> CHATTY =
      List.of(
          "io.grpc",
          "io.netty",
          "com.google",
          "org.apache.http",
          "io.opencensus",
          "io.fabric8",
          "io.vertx");

  private Logging() {}

  /**
   * Sends log lines in {@code format} to {@code stdout} (JSON) or {@code stderr} (text). The
   * streams are never closed by logging.
   */
  public static void configure(
      LogFormat format, boolean debug, OutputStream stdout, OutputStream stderr) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    apply(context, format, debug, stdout, stderr);
  }

  /** Adds the appender and levels of {@link #configure} to a context that has none yet. */
  static void apply(
      LoggerContext context,
      LogFormat format,
      boolean debug,
      OutputStream stdout,
      OutputStream stderr) {
    Encoder<ILoggingEvent> encoder;
    if (format == LogFormat.TEXT) {
      TextLogLayout layout = new TextLogLayout();
      layout.setContext(context);
      layout.start();
      LayoutWrappingEncoder<ILoggingEvent> wrapping = new LayoutWrappingEncoder<>();
      wrapping.setLayout(layout);
      encoder = wrapping;
    } else {
      encoder = new JsonLogEncoder();
    }
    encoder.setContext(context);
    encoder.start();

    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName(format == LogFormat.TEXT ? "stderr-text" : "stdout-json");
    appender.setEncoder(encoder);
    appender.setImmediateFlush(true);
    appender.setOutputStream(new KeepOpen(format == LogFormat.TEXT ? stderr : stdout));
    appender.start();

    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(debug ? Level.DEBUG : Level.INFO);
    root.addAppender(appender);
    for (String chatty : CHATTY) {
      context.getLogger(chatty).setLevel(debug ? Level.INFO : Level.WARN);
    }
  }

  /** Logging must never close System.out or System.err, even when it is reconfigured. */
  private static final class KeepOpen extends FilterOutputStream {
    KeepOpen(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
