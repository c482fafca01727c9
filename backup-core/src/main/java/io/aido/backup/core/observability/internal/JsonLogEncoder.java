package io.aido.backup.core.observability.internal;

import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import net.logstash.logback.mask.MaskingJsonGeneratorDecorator;

/**
 * The JSON log line of every job: one object per line,
 *
 * <pre>{@code
 * {"time":"2026-11-24T02:00:00.123Z","message":"backup committed","logger":"io.aido...",
 *  "thread":"main","job":"db-backup","backup_id":"20261124T020000Z-a1b2c3","severity":"INFO"}
 * }</pre>
 *
 * <p>Fields: {@code time} (UTC, ISO-8601), {@code severity} (DEBUG, INFO, WARNING, ERROR), {@code
 * message}, {@code logger}, {@code thread}, every MDC entry ({@code job}, {@code backup_id}, ...),
 * structured arguments, and {@code stack_trace} when there is one. Registered secrets are masked in
 * every value ({@link SecretValueMasker}). Usable from a logback XML file as an encoder class.
 */
public final class JsonLogEncoder extends LogstashEncoder {

  public JsonLogEncoder() {
    LogstashFieldNames names = new LogstashFieldNames();
    names.setTimestamp("time");
    names.setVersion("[ignore]");
    names.setLevel("[ignore]");
    names.setLevelValue("[ignore]");
    names.setLogger("logger");
    names.setThread("thread");
    names.setStackTrace("stack_trace");
    setFieldNames(names);
    setTimeZone("UTC");
    addProvider(new SeverityJsonProvider());
    MaskingJsonGeneratorDecorator masking = new MaskingJsonGeneratorDecorator();
    masking.addValueMasker(new SecretValueMasker());
    masking.start();
    setJsonGeneratorDecorator(masking);
  }
}
