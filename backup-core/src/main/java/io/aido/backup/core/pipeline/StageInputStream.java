package io.aido.backup.core.pipeline;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Tags every failure of the stream below with a {@link Stage}. */
final class StageInputStream extends FilterInputStream {
  private final Stage stage;

  StageInputStream(Stage stage, InputStream in) {
    super(in);
    this.stage = stage;
  }

  @Override
  public int read() throws IOException {
    try {
      return in.read();
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return in.read(b, off, len);
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return in.skip(n);
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      in.close();
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }
}
