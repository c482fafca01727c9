package io.aido.backup.core.config;

import java.util.Locale;
import java.util.Optional;

/** How log lines look: JSON for log collectors, text for people at a terminal. */
public enum LogFormat {
  /** One JSON object per line on stdout: {@code time}, {@code severity}, {@code message}, MDC. */
  JSON,
  /** One readable line per event on stderr, so a command's own output on stdout stays clean. */
  TEXT;

  /** The format named {@code name} (any case), or empty. */
  public static Optional<LogFormat> parse(String name) {
    if (name == null) {
      return Optional.empty();
    }
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "json" -> Optional.of(JSON);
      case "text" -> Optional.of(TEXT);
      default -> Optional.empty();
    };
  }
}
