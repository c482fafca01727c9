package io.aido.backup.db;

import java.time.Duration;
import java.util.Locale;

/** How the commands print how long something took: {@code 12.3 s}. */
final class Elapsed {
  private Elapsed() {}

  static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
