package io.aido.backup.core.pipeline;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.ObjectKey;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The real stages, with a failure injected in one of them after a number of bytes. A test double:
 * neither zstd nor Tink fails on demand.
 */
final class FaultyTransforms implements Transforms {
  private final Stage failing;
  private final long failAfter;

  FaultyTransforms(Stage failing, long failAfter) {
    this.failing = failing;
    this.failAfter = failAfter;
  }

  /** A pipeline whose {@code stage} fails after {@code failAfter} bytes. */
  public static Pipeline pipeline(PipelineSettings settings, Stage stage, long failAfter) {
    return new Pipeline(settings, new FaultyTransforms(stage, failAfter));
  }

  @Override
  public OutputStream compressing(OutputStream out, PipelineSettings settings) throws IOException {
    OutputStream real = Transforms.standard().compressing(out, settings);
    return failing == Stage.COMPRESS ? failAfter(real, "zstd: injected compressor failure") : real;
  }

  @Override
  public OutputStream encrypting(OutputStream out, DataKey key, ObjectKey name) throws IOException {
    OutputStream real = Transforms.standard().encrypting(out, key, name);
    return failing == Stage.ENCRYPT ? failAfter(real, "injected encryption failure") : real;
  }

  @Override
  public InputStream decrypting(InputStream in, DataKey key, ObjectKey name) throws IOException {
    return Transforms.standard().decrypting(in, key, name);
  }

  @Override
  public InputStream decompressing(InputStream in) throws IOException {
    return Transforms.standard().decompressing(in);
  }

  private OutputStream failAfter(OutputStream real, String message) {
    return new FilterOutputStream(real) {
      private long count;

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (count + len > failAfter) {
          throw new IOException(message);
        }
        count += len;
        out.write(b, off, len);
      }

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }
    };
  }
}
