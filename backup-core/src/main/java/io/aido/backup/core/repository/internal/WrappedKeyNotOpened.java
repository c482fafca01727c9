package io.aido.backup.core.repository.internal;

import java.security.GeneralSecurityException;

/** No configured key opens a wrapped key: {@link KeyRewrap} reports that object and goes on. */
final class WrappedKeyNotOpened extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  WrappedKeyNotOpened(String message) {
    super(message);
  }
}
