package io.aido.backup.core.storage;

import java.io.IOException;

/** An object was changed or replaced by someone else between reading it and replacing it. */
public class ObjectChangedException extends IOException {
  private static final long serialVersionUID = 1L;

  public ObjectChangedException(ObjectKey key, String store) {
    super(
        StorageMessages.failed(
            "replace", key, store, "it changed since it was read; it was left as it is"));
  }
}
