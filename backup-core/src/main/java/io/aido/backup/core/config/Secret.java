package io.aido.backup.core.config;

import java.util.Objects;

/**
 * A secret value (a password, a token) that prints as {@code ***}.
 *
 * <p>Guarantees: {@link #toString()} is {@code ***}; creating a secret registers its value with
 * {@link Redaction}, so the value is replaced by {@code ***} wherever it would appear in a log line
 * (message, arguments, MDC, stack trace) or a configuration message.
 *
 * <p>Restrictions: read secrets with {@link Secrets#fromEnvironment}, from an environment variable
 * or a {@code *_FILE} path, never from a command-line flag (the process list shows flags). Call
 * {@link #reveal()} only where the value is handed to the system that needs it.
 *
 * <pre>{@code
 * Secret password = Secrets.fromEnvironment(env, "PGPASSWORD", problems).orElseThrow();
 * processBuilder.environment().put("PGPASSWORD", password.reveal());
 * }</pre>
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /**
   * Wraps a secret value and registers it for redaction.
   *
   * @throws IllegalArgumentException if the value is empty
   */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a secret cannot be empty");
    }
    Redaction.register(value);
    return new Secret(value);
  }

  /** The value itself: pass it on, never log or print it. */
  public String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return Redaction.MASK;
  }
}
