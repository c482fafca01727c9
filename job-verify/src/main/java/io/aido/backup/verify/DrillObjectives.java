package io.aido.backup.verify;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objectives a drill is judged by: the recovery time of all its restores together ({@code
 * --rto}, default 1 hour, the source document's "critical" objective) and the recovery point of
 * each component ({@code --rpo}, default 15 minutes for the database and the Dapr state; the
 * cluster configuration has none unless given).
 *
 * <p>The database's recovery point is the newer of what the dump and the point-in-time restore
 * reached: either restores it.
 *
 * @param rto the longest the restores may take together
 * @param rpo the oldest each component's restored data may be, by component ({@code database},
 *     {@code dapr}, {@code manifests})
 */
record DrillObjectives(Duration rto, Map<String, Duration> rpo) {
  static final Duration DEFAULT_RTO = Duration.ofHours(1);
  static final Duration DEFAULT_RPO = Duration.ofMinutes(15);
  static final List<String> COMPONENTS = List.of("database", "dapr", "manifests");

  DrillObjectives {
    Map<String, Duration> ordered = new LinkedHashMap<>();
    for (String c : COMPONENTS) {
      if (rpo.containsKey(c)) {
        ordered.put(c, rpo.get(c));
      }
    }
    rpo.forEach(ordered::putIfAbsent);
    rpo = Collections.unmodifiableMap(ordered);
  }

  /**
   * Parses {@code --rto} and {@code --rpo}: a duration ({@code 1h}, {@code 15m}, {@code PT1H}), and
   * for {@code --rpo} also {@code COMPONENT=DURATION}; a bare {@code --rpo} duration sets the
   * database and the Dapr state.
   *
   * @throws IllegalArgumentException naming the setting that does not parse
   */
  static DrillObjectives parse(String rto, List<String> rpo) {
    Duration time = rto == null || rto.isBlank() ? DEFAULT_RTO : MaxAges.duration(rto.strip());
    Map<String, Duration> points = new LinkedHashMap<>();
    points.put("database", DEFAULT_RPO);
    points.put("dapr", DEFAULT_RPO);
    for (String setting : rpo == null ? List.<String>of() : rpo) {
      String s = setting.strip();
      if (s.isEmpty()) {
        continue;
      }
      int eq = s.indexOf('=');
      if (eq < 0) {
        Duration d = MaxAges.duration(s);
        points.put("database", d);
        points.put("dapr", d);
        continue;
      }
      String component = s.substring(0, eq).strip();
      if (!COMPONENTS.contains(component)) {
        throw new IllegalArgumentException(
            "'" + component + "' is not a component (database, dapr or manifests)");
      }
      points.put(component, MaxAges.duration(s.substring(eq + 1).strip()));
    }
    return new DrillObjectives(time, points);
  }

  /**
   * Like {@code 1h}, {@code 15m}, {@code 90s} (or ISO-8601 below a second): as the options take
   * them.
   */
  static String format(Duration d) {
    if (d.toMillis() % 1000 != 0) {
      return d.toString();
    }
    long s = d.toSeconds();
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
