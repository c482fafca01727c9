package io.aido.backup.core.pipeline;

/** The stages a part goes through, named in every {@link PipelineException}. */
public enum Stage {
  /** Reading the caller's plaintext (a process's stdout, a file). */
  SOURCE("source"),
  /** zstd compression. */
  COMPRESS("compress"),
  /** Encryption with the backup's data key. */
  ENCRYPT("encrypt"),
  /** Storing the object. */
  UPLOAD("upload"),
  /** Reading the object from the store. */
  DOWNLOAD("download"),
  /** Decryption and authentication. */
  DECRYPT("decrypt"),
  /** zstd decompression. */
  DECOMPRESS("decompress"),
  /** Writing the plaintext to the caller's output. */
  SINK("sink");

  private final String label;

  Stage(String label) {
    this.label = label;
  }

  @Override
  public String toString() {
    return label;
  }
}
