package io.aido.backup.core.pipeline;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Tags every failure of the stream below with a {@link Stage}. */
final class StageOutputStream extends FilterOutputStream {
  private final Stage stage;

  StageOutputStream(Stage stage, OutputStream out) {
    super(out);
    this.stage = stage;
  }

  @Override
  public void write(int b) throws IOException {
    try {
      out.write(b);
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      throw StageFailure.of(stage, e);
    }
  }
}
