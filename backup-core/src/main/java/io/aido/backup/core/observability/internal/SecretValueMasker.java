package io.aido.backup.core.observability.internal;

import com.fasterxml.jackson.core.JsonStreamContext;
import io.aido.backup.core.config.Redaction;
import net.logstash.logback.mask.ValueMasker;

/**
 * Hides registered secrets in every string value of a JSON log line (message, arguments, MDC, stack
 * trace); see {@link Redaction}.
 */
public final class SecretValueMasker implements ValueMasker {

  @Override
  public Object mask(JsonStreamContext context, Object value) {
    if (value instanceof CharSequence text) {
      String original = text.toString();
      String redacted = Redaction.redact(original);
      return redacted.equals(original) ? null : redacted;
    }
    return null;
  }
}
