package io.aido.backup.core.pipeline;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream whose bytes become one stored part. Closing it completes the upload; aborting it
 * guarantees the part never becomes visible. A writer that failed once stays failed.
 */
public abstract class PartOutputStream extends OutputStream {

  /** Completes the part; {@link #result()} is available afterwards. */
  @Override
  public abstract void close() throws IOException;

  /** Abandons the part: nothing becomes visible. Safe to call after a failure or twice. */
  public abstract void abort(Throwable reason);

  /**
   * What was stored.
   *
   * @throws IllegalStateException before a successful {@link #close()}
   */
  public abstract PartResult result();
}
