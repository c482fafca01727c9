package io.aido.backup.core.config;

import java.util.List;

/**
 * The configuration is unusable: every problem found, in one message. Commands exit with code 2.
 *
 * <p>The message never contains a secret value: problems name settings and describe what is wrong
 * with them, and they pass through {@link io.aido.backup.core.config.Redaction} as well.
 */
public final class ConfigurationException extends RuntimeException {
  private final List<String> problems;

  public ConfigurationException(List<String> problems) {
    super(ConfigProblems.describe(problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem, one line each, in the order they were found. */
  public List<String> problems() {
    return problems;
  }
}
