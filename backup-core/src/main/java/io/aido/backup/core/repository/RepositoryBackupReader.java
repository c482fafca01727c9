package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.pipeline.PartInputStream;
import io.aido.backup.core.pipeline.PartResult;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineException;
import io.aido.backup.core.pipeline.Stage;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/** {@link BackupReader} over a repository's store: every part checked against the record. */
final class RepositoryBackupReader implements BackupReader {
  private final BlobReader store;
  private final Pipeline pipeline;
  private final BackupRecord record;
  private final DataKey dataKey;

  RepositoryBackupReader(
      BlobReader store, Pipeline pipeline, BackupRecord record, DataKey dataKey) {
    this.store = store;
    this.pipeline = pipeline;
    this.record = record;
    this.dataKey = dataKey;
  }

  @Override
  public BackupRecord record() {
    return record;
  }

  @Override
  public void checkStoredParts() throws IOException {
    for (PartRecord part : record.parts()) {
      Optional<ObjectInfo> info = store.stat(ObjectKey.of(part.object()));
      if (info.isEmpty()) {
        throw new CorruptPartException(
            record.id(),
            part.name(),
            "object '" + part.object() + "' is missing in " + store.describe(),
            "nothing was restored",
            null);
      }
      if (info.get().size() != part.storedSize()) {
        throw new CorruptPartException(
            record.id(),
            part.name(),
            "object '"
                + part.object()
                + "' has "
                + info.get().size()
                + " bytes but the record says "
                + part.storedSize()
                + " (the part or its record was altered)",
            "nothing was restored",
            null);
      }
    }
  }

  @Override
  public void checkPart(PartRecord part) throws IOException {
    try (InputStream in = openPart(part)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  @Override
  public PartResult readPart(PartRecord part, OutputStream sink) throws IOException {
    check(part);
    PartResult r;
    try {
      r = pipeline.load(store, ObjectKey.of(part.object()), dataKey, sink);
    } catch (IOException e) {
      throw translate(part, e, "what was written to the output is incomplete: discard it");
    }
    String mismatch = mismatch(part, r);
    if (mismatch != null) {
      throw new CorruptPartException(
          record.id(),
          part.name(),
          mismatch,
          "what was written to the output is not this backup: discard it",
          null);
    }
    return r;
  }

  @Override
  public InputStream openPart(PartRecord part) throws IOException {
    check(part);
    PartInputStream in;
    try {
      in = pipeline.reader(store, ObjectKey.of(part.object()), dataKey);
    } catch (IOException e) {
      throw translate(part, e, "nothing was restored");
    }
    return new Checked(part, in);
  }

  private void check(PartRecord part) {
    if (record.part(part.name()).filter(part::equals).isEmpty()) {
      throw new IllegalArgumentException(
          "part '" + part.name() + "' is not a part of backup " + record.id());
    }
  }

  private String mismatch(PartRecord part, PartResult read) {
    String plaintext = mismatch(part, read.plaintextSize(), read.plaintextSha256());
    if (plaintext != null || read.storedSize() == part.storedSize()) {
      return plaintext;
    }
    return "object has "
        + read.storedSize()
        + " stored bytes but the record says "
        + part.storedSize()
        + " (the part or its record was altered)";
  }

  private String mismatch(PartRecord part, long size, String sha256) {
    if (size != part.plaintextSize()) {
      return "plaintext has "
          + size
          + " bytes but the record says "
          + part.plaintextSize()
          + " (the part or its record was altered)";
    }
    if (!sha256.equalsIgnoreCase(part.plaintextSha256())) {
      return "plaintext SHA-256 is "
          + sha256
          + " but the record says "
          + part.plaintextSha256()
          + " (the part or its record was altered)";
    }
    return null;
  }

  /** A read failure, told as what it means for this backup. */
  private IOException translate(PartRecord part, IOException e, String safe) {
    if (e instanceof ObjectNotFoundException) {
      return new CorruptPartException(
          record.id(),
          part.name(),
          "object '" + part.object() + "' is missing in " + store.describe(),
          safe,
          e);
    }
    if (e instanceof PipelineException p) {
      Stage stage = p.stage();
      String cause = p.getCause() == null ? p.getMessage() : p.getCause().getMessage();
      if (stage == Stage.DECRYPT) {
        return new CorruptPartException(record.id(), part.name(), cause, safe, e);
      }
      if (stage == Stage.DECOMPRESS) {
        return new CorruptPartException(
            record.id(), part.name(), "decompression failed: " + cause, safe, e);
      }
      return new PartReadException(record.id(), part.name(), p.getMessage(), safe, e);
    }
    return new PartReadException(record.id(), part.name(), e.getMessage(), safe, e);
  }

  /**
   * Passes the plaintext through and checks it against the record: a stream longer than recorded
   * fails before releasing the extra bytes, and the end of a shorter or different one throws
   * instead of returning -1, so a consumer never sees a clean end of a bad part.
   */
  private final class Checked extends InputStream {
    private final PartRecord part;
    private final PartInputStream in;
    private long count;

    Checked(PartRecord part, PartInputStream in) {
      this.part = part;
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        throw translate(part, e, "what was read so far is incomplete; nothing was restored");
      }
      if (n > 0) {
        count += n;
        if (count > part.plaintextSize()) {
          in.close();
          throw new CorruptPartException(
              record.id(),
              part.name(),
              "plaintext is longer than the "
                  + part.plaintextSize()
                  + " bytes the record says (the part or its record was altered)",
              "the stream was stopped before the extra bytes",
              null);
        }
      } else if (n < 0) {
        PartResult r = in.result();
        String mismatch = mismatch(part, r);
        if (mismatch != null) {
          throw new CorruptPartException(
              record.id(),
              part.name(),
              mismatch,
              "treat everything read from this part as bad: nothing was restored",
              null);
        }
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
