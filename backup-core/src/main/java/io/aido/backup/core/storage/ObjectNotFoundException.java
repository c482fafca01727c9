package io.aido.backup.core.storage;

import java.io.IOException;

/** An object that was asked for does not exist. The one exception every store raises for it. */
public class ObjectNotFoundException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;

  public ObjectNotFoundException(ObjectKey key, String store) {
    super(StorageMessages.missing("open", key, store));
    this.key = key;
  }

  public ObjectKey key() {
    return key;
  }
}
