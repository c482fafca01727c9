package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupKind;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How old the newest verified backup of each kind may be before the kind is stale.
 *
 * <p>Defaults: 26 hours for every kind. Every backup job runs nightly, and 26 hours leaves two
 * hours of slack for a slow run; a kind backed up more often (say Dapr state every hour) gets a
 * tighter limit with {@code --max-age dapr=2h}. When WAL archiving exists, its limit is the
 * recovery point objective, set the same way.
 */
record MaxAges(Map<BackupKind, Duration> limits) {
  static final Duration DEFAULT = Duration.ofHours(26);
  private static final Pattern SHORT = Pattern.compile("(\\d+)([smhd])");

  MaxAges {
    limits = Map.copyOf(limits);
  }

  Duration of(BackupKind kind) {
    return limits.getOrDefault(kind, DEFAULT);
  }

  /**
   * Parses {@code KIND=DURATION} settings over the defaults.
   *
   * @throws IllegalArgumentException naming the first bad setting
   */
  static MaxAges parse(List<String> settings) {
    Map<BackupKind, Duration> limits = new EnumMap<>(BackupKind.class);
    for (BackupKind kind : BackupKind.values()) {
      limits.put(kind, DEFAULT);
    }
    for (String setting : settings == null ? List.<String>of() : settings) {
      String s = setting.trim();
      int eq = s.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "'" + setting + "' is not KIND=DURATION (expected like db-logical=26h)");
      }
      BackupKind kind = BackupKind.fromId(s.substring(0, eq).trim());
      limits.put(kind, duration(s.substring(eq + 1).trim()));
    }
    return new MaxAges(limits);
  }

  /** {@code 26h}, {@code 90m}, {@code 2d}, {@code 30s} or ISO-8601 {@code PT26H}; positive. */
  static Duration duration(String text) {
    Duration d;
    Matcher m = SHORT.matcher(text.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else {
      try {
        d = Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a duration (expected like 26h, 90m, 2d or PT26H)");
      }
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("'" + text + "' is not a positive duration");
    }
    return d;
  }

  /** {@code 27h5m}: hours and minutes, as people read ages. */
  static String format(Duration d) {
    long minutes = d.toMinutes();
    return minutes / 60 + "h" + (minutes % 60 == 0 ? "" : minutes % 60 + "m");
  }
}
