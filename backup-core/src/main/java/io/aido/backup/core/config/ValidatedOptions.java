package io.aido.backup.core.config;

/**
 * A group of options (a picocli mixin) that can check itself. Commands built on {@code JobCommand}
 * call {@link #validate} on every such mixin before any work, so no command forgets one.
 */
public interface ValidatedOptions {

  /** Adds every problem with these options to {@code problems}; throws nothing. */
  void validate(ConfigProblems problems);
}
