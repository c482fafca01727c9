package io.aido.backup.core.repository;

import java.io.IOException;

/**
 * The store holds no repository ({@code format.json} is missing): an empty, mistyped or wrong
 * repository URL. Thrown by {@link Repository#openExisting}, which commands that only read use so
 * that they never create a repository; they report it as bad configuration.
 */
public final class NoRepositoryException extends IOException {
  private static final long serialVersionUID = 1L;

  /** "no repository at 'STORE' (it has no format.json)". */
  public NoRepositoryException(String store) {
    super(
        "no repository at '"
            + store
            + "' (it has no format.json; check the repository URL, or run a backup first)");
  }
}
