package io.aido.backup.core.observability;

import java.util.Locale;

/** Byte counts as people read them in logs and listings: {@code 512 B}, {@code 1.5 KiB}. */
public final class ByteSizes {
  private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

  private ByteSizes() {}

  /**
   * {@code bytes} in binary units with one decimal ({@code 3.0 GiB}); below 1 KiB in bytes ({@code
   * 512 B}); at most TiB ({@code 2048.0 TiB}).
   */
  public static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < UNITS.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
  }
}
