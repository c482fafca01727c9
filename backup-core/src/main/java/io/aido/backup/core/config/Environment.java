package io.aido.backup.core.config;

import java.util.Map;
import java.util.Set;

/**
 * Where configuration values from the environment come from: the process environment in production,
 * a map in tests (the JVM cannot change its own environment).
 *
 * <pre>{@code
 * Environment env = Environment.of(Map.of("BACKUP_STORAGE_URL", "file:///var/backups"));
 * }</pre>
 */
@FunctionalInterface
public interface Environment {

  /** The value of {@code name}, or {@code null} when it is not set. */
  String get(String name);

  /** The value of {@code name}, or {@code null} when it is unset or blank. */
  default String value(String name) {
    String v = get(name);
    return v == null || v.isBlank() ? null : v;
  }

  /**
   * The names of the variables that are set, where the environment can tell (the process
   * environment and {@link #of} can); empty otherwise.
   */
  default Set<String> names() {
    return Set.of();
  }

  /** The process environment. */
  static Environment system() {
    return new Environment() {
      @Override
      public String get(String name) {
        return System.getenv(name);
      }

      @Override
      public Set<String> names() {
        return Set.copyOf(System.getenv().keySet());
      }
    };
  }

  /** A fixed environment, for tests. */
  static Environment of(Map<String, String> variables) {
    Map<String, String> copy = Map.copyOf(variables);
    return new Environment() {
      @Override
      public String get(String name) {
        return copy.get(name);
      }

      @Override
      public Set<String> names() {
        return copy.keySet();
      }
    };
  }
}
