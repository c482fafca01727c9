package io.aido.backup.core.pipeline;

import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;

/**
 * A part could not be stored or read: names the object, the store and the {@link Stage} that failed
 * first. When storing failed, no object with that name is visible.
 *
 * <p>Example: {@code unable to store object 'data/dapr/20261124T020000Z-a1b2c3/state' in
 * file:///var/backups: source stage failed: Broken pipe}.
 */
public class PipelineException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;
  private final Stage stage;

  public PipelineException(String verb, ObjectKey key, String store, Stage stage, Throwable cause) {
    super(
        StorageMessages.failed(
            verb, key, store, stage + " stage failed: " + StorageMessages.cause(cause)),
        cause);
    this.key = key;
    this.stage = stage;
  }

  public ObjectKey key() {
    return key;
  }

  /** The stage that failed first; later stages failing because of it are not reported. */
  public Stage stage() {
    return stage;
  }
}
