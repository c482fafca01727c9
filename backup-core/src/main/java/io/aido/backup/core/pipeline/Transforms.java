package io.aido.backup.core.pipeline;

import io.aido.backup.core.compress.Zstd;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The compression and encryption stages as stream factories. Production uses {@link #standard};
 * tests put a failing stream in one stage to prove that a failure there aborts the upload.
 */
interface Transforms {
  OutputStream compressing(OutputStream out, PipelineSettings settings) throws IOException;

  OutputStream encrypting(OutputStream out, DataKey key, ObjectKey name) throws IOException;

  InputStream decrypting(InputStream in, DataKey key, ObjectKey name) throws IOException;

  InputStream decompressing(InputStream in) throws IOException;

  Transforms STANDARD =
      new Transforms() {
        @Override
        public OutputStream compressing(OutputStream out, PipelineSettings settings)
            throws IOException {
          return Zstd.compressing(out, settings.compressionLevel(), settings.compressionWorkers());
        }

        @Override
        public OutputStream encrypting(OutputStream out, DataKey key, ObjectKey name)
            throws IOException {
          return key.encrypting(out, name);
        }

        @Override
        public InputStream decrypting(InputStream in, DataKey key, ObjectKey name)
            throws IOException {
          return key.decrypting(in, name);
        }

        @Override
        public InputStream decompressing(InputStream in) throws IOException {
          return Zstd.decompressing(in);
        }
      };

  static Transforms standard() {
    return STANDARD;
  }
}
