package io.aido.backup.core.pipeline;

import java.io.IOException;

/**
 * A failure tagged with the stage where it happened, on its way up through the stages above. The
 * innermost tag wins: a stage that merely passes on a failure from below does not re-tag it.
 */
final class StageFailure extends IOException {
  private static final long serialVersionUID = 1L;

  private final Stage stage;

  private StageFailure(Stage stage, Throwable cause) {
    super(stage + ": " + cause.getMessage(), cause);
    this.stage = stage;
  }

  Stage stage() {
    return stage;
  }

  /** {@code t} tagged with {@code stage}, unless a stage below already tagged it. */
  static StageFailure of(Stage stage, Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StageFailure f) {
        return f;
      }
    }
    return new StageFailure(stage, t);
  }
}
