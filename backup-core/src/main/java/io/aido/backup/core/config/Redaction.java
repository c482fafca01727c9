package io.aido.backup.core.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The process-wide registry of secret values, and the function that hides them.
 *
 * <p>Guarantees: once a value is registered (every {@link io.aido.backup.core.config.Secret}
 * registers itself), {@link #redact} replaces each occurrence of it with {@value #MASK}; the log
 * encoders (in {@code core.observability}) apply it to messages, arguments, MDC values and stack
 * traces, and configuration messages pass through it too. Longer values are replaced first, so a
 * secret that contains another is hidden whole.
 *
 * <p>Restrictions: only exact occurrences are found; a secret that was transformed (encoded, split)
 * before being logged is not. Values are kept for the life of the process.
 */
public final class Redaction {
  /** What a secret prints as. */
  public static final String MASK = "***";

  private static final Object LOCK = new Object();

  /** Longest first; replaced whole on every registration, so readers need no lock. */
  private static volatile List<String> secrets = List.of();

  private Redaction() {}

  /** Registers a secret value; empty values are ignored. */
  public static void register(String secret) {
    if (secret == null || secret.isEmpty()) {
      return;
    }
    synchronized (LOCK) {
      if (!secrets.contains(secret)) {
        List<String> sorted = new ArrayList<>(secrets);
        sorted.add(secret);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        secrets = List.copyOf(sorted);
      }
    }
  }

  /** {@code text} with every registered secret replaced by {@value #MASK}; null stays null. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String result = text;
    for (String secret : secrets) {
      if (result.contains(secret)) {
        result = result.replace(secret, MASK);
      }
    }
    return result;
  }
}
