package io.aido.backup.core.storage.gcs;

import com.google.cloud.WriteChannel;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.Function;

/** A resumable upload that becomes an object only if its whole content arrived. */
final class GcsUpload {
  private static final int COPY_BUFFER = 64 * 1024;

  private GcsUpload() {}

  /**
   * Streams {@code content} into a new generation of {@code info} and finalizes it only when the
   * whole content was written: on any failure the upload is deliberately not closed, since closing
   * would publish a partial object. Failures are told by {@code failed}, which turns the cause into
   * the exception to throw.
   */
  static void write(
      Storage storage,
      BlobInfo info,
      int chunkSize,
      InputStream content,
      BlobWriteOption precondition,
      Function<Exception, IOException> failed)
      throws IOException {
    WriteChannel upload;
    try {
      upload = storage.writer(info, precondition);
    } catch (StorageException e) {
      throw failed.apply(e);
    }
    upload.setChunkSize(chunkSize);
    byte[] buffer = new byte[COPY_BUFFER];
    try {
      int n;
      while ((n = content.read(buffer)) != -1) {
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          upload.write(chunk);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw failed.apply(e);
    }
    try {
      upload.close();
    } catch (IOException | RuntimeException e) {
      throw failed.apply(e);
    }
  }
}
