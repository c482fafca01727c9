package io.aido.backup.core.retention;

import java.io.IOException;

/**
 * Told about each removal that deleted at least one object, right after it: the place to write an
 * audit event. Not called in a dry run.
 */
@FunctionalInterface
public interface RemovalListener {
  /**
   * @throws IOException to stop the run: no further backup is removed (a deletion that cannot be
   *     audited should not be followed by more)
   */
  void removed(Removal removal) throws IOException;
}
