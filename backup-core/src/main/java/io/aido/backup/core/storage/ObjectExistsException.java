package io.aido.backup.core.storage;

import java.io.IOException;

/** A create was refused because the name is taken; the existing object was left untouched. */
public class ObjectExistsException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;

  public ObjectExistsException(ObjectKey key, String store) {
    super(
        "unable to create object '"
            + key
            + "' in "
            + store
            + ": it already exists and objects are never overwritten");
    this.key = key;
  }

  public ObjectKey key() {
    return key;
  }
}
