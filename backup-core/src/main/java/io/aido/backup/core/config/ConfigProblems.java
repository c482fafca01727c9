package io.aido.backup.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every configuration problem so that a user fixes them all in one go, instead of one per
 * run.
 *
 * <pre>{@code
 * ConfigProblems problems = new ConfigProblems();
 * repository.validate(problems);
 * if (database == null) problems.add(EnvironmentDefaults.describe("--database"), "not set");
 * problems.throwIfAny(); // "configuration has 2 problems:\n  - ...\n  - ..."
 * }</pre>
 *
 * <p>Restriction: problems must name settings, never quote a secret value. As a second line of
 * defence every problem passes through {@link Redaction#redact(String)} when it is read, so a
 * secret registered later in the same validation (a setting holding a password by mistake) is
 * hidden as well.
 */
public final class ConfigProblems {
  private final List<String> problems = new ArrayList<>();

  /** Records a problem with one setting, such as {@code --storage-url (BACKUP_STORAGE_URL)}. */
  public void add(String setting, String problem) {
    problems.add(setting + ": " + problem);
  }

  /** Records a problem that belongs to no single setting. */
  public void add(String problem) {
    problems.add(problem);
  }

  public boolean isEmpty() {
    return problems.isEmpty();
  }

  /** The problems found so far, redacted. */
  public List<String> list() {
    return problems.stream().map(Redaction::redact).toList();
  }

  /**
   * Throws when any problem was recorded.
   *
   * @throws ConfigurationException listing every problem
   */
  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new ConfigurationException(list());
    }
  }

  static String describe(List<String> problems) {
    StringBuilder b = new StringBuilder("configuration has ").append(problems.size());
    b.append(problems.size() == 1 ? " problem:" : " problems:");
    for (String p : problems) {
      b.append("\n  - ").append(p);
    }
    return b.toString();
  }
}
