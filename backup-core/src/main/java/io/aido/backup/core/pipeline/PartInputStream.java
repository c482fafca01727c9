package io.aido.backup.core.pipeline;

import java.io.InputStream;

/**
 * The plaintext of one stored part. Every byte it returns has been authenticated; a failure in any
 * stage raises a {@link PipelineException} naming the object and the stage. Closing it before the
 * end stops the download.
 */
public abstract class PartInputStream extends InputStream {

  /**
   * What was read: plaintext size and SHA-256, stored size.
   *
   * @throws IllegalStateException before the stream returned its end
   */
  public abstract PartResult result();
}
