package io.aido.backup.core.catalog;

import java.io.IOException;

/**
 * A record or repository was written in a format newer than this tool reads. Nothing is wrong with
 * the data: a newer version of the tool reads it.
 */
public class UnsupportedFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int format;

  public UnsupportedFormatException(String what, int format, int known) {
    super(
        what
            + " has format "
            + format
            + ", newer than the format "
            + known
            + " this tool reads: use a newer version of the tool; the data was left untouched");
    this.format = format;
  }

  public int format() {
    return format;
  }
}
