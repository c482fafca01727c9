package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.compress.Zstd;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.aido.backup.core.pipeline.PartResult;
import io.aido.backup.core.repository.internal.RecordSeals;
import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link BackupWriter} over a {@link Repository}: parts through the pipeline, record last. */
final class RepositoryBackupWriter implements BackupWriter {
  private static final Logger log = LoggerFactory.getLogger(RepositoryBackupWriter.class);

  private final Repository repo;
  private final BackupKind kind;
  private final BackupId id;
  private final Source source;
  private final Instant startedAt;
  private final DataKey dataKey;
  private final WrappedDataKey wrapped;
  private final List<PartRecord> parts = new ArrayList<>();
  private OpenPart open;
  private Throwable failure;
  private BackupRecord committed;
  private boolean closed;

  RepositoryBackupWriter(
      Repository repo,
      BackupKind kind,
      BackupId id,
      Source source,
      Instant startedAt,
      DataKey dataKey,
      WrappedDataKey wrapped) {
    this.repo = repo;
    this.kind = kind;
    this.id = id;
    this.source = source;
    this.startedAt = startedAt;
    this.dataKey = dataKey;
    this.wrapped = wrapped;
  }

  @Override
  public BackupId id() {
    return id;
  }

  @Override
  public synchronized PartRecord writePart(String partName, InputStream content)
      throws IOException {
    ObjectKey key = prepare(partName);
    try {
      PartResult r = repo.pipeline().store(content, repo.store(), key, dataKey);
      return add(partName, r);
    } catch (IOException | RuntimeException | Error e) {
      failure = e;
      throw e;
    }
  }

  @Override
  public synchronized PartOutputStream openPart(String partName) throws IOException {
    ObjectKey key = prepare(partName);
    try {
      open = new OpenPart(partName, repo.pipeline().writer(repo.store(), key, dataKey));
      return open;
    } catch (IOException | RuntimeException e) {
      failure = e;
      throw e;
    }
  }

  private ObjectKey prepare(String partName) {
    checkUsable();
    KillPoints.reach(parts.isEmpty() ? "before-first-part" : "between-parts");
    if (open != null) {
      throw new IllegalStateException(
          "backup " + id + ": close part '" + open.name + "' before starting another");
    }
    if (partName == null || partName.isEmpty() || partName.contains("/")) {
      throw new IllegalArgumentException(
          "backup " + id + ": invalid part name '" + partName + "' (one path segment)");
    }
    for (PartRecord p : parts) {
      if (p.name().equals(partName)) {
        throw new IllegalArgumentException(
            "backup " + id + ": part '" + partName + "' was already written");
      }
    }
    return Layout.part(kind, id, partName);
  }

  private void checkUsable() {
    if (closed) {
      throw new IllegalStateException("backup " + id + " is closed");
    }
    if (committed != null) {
      throw new IllegalStateException("backup " + id + " is already committed");
    }
    if (failure != null) {
      throw new IllegalStateException(
          "backup " + id + " failed earlier and cannot continue: " + failure.getMessage(), failure);
    }
  }

  private PartRecord add(String partName, PartResult r) {
    PartRecord p =
        new PartRecord(
            partName,
            r.key().name(),
            r.storedSize(),
            r.plaintextSize(),
            r.plaintextSha256(),
            Zstd.NAME,
            r.storedSha256());
    parts.add(p);
    return p;
  }

  @Override
  public synchronized BackupRecord commit(Map<String, Object> facts) throws IOException {
    checkUsable();
    if (open != null) {
      throw new IllegalStateException(
          "backup " + id + ": close part '" + open.name + "' before committing");
    }
    if (parts.isEmpty()) {
      throw new IllegalStateException("backup " + id + " has no parts; nothing to commit");
    }
    BackupRecord record =
        new BackupRecord(
            BackupRecord.FORMAT,
            id,
            kind,
            source,
            Repository.toolVersion(),
            startedAt,
            repo.clock().instant(),
            BackupRecord.COMPLETE,
            parts,
            wrapped,
            facts);
    try {
      record = RecordSeals.seal(record, dataKey);
      repo.commit(record);
    } catch (GeneralSecurityException e) {
      IOException sealing =
          new IOException("backup " + id + ": unable to seal its record: " + e.getMessage(), e);
      failure = sealing;
      throw sealing;
    } catch (IOException | RuntimeException e) {
      failure = e;
      throw e;
    }
    committed = record;
    return record;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (open != null) {
      open.abort(new IOException("backup " + id + " closed before part '" + open.name + "'"));
    }
    if (committed == null) {
      log.info(
          "backup {} abandoned before its record was written; its {} stored part(s) stay"
              + " invisible until retention removes them",
          id,
          parts.size());
    }
  }

  /** Records the part when it closes cleanly; fails the backup otherwise. */
  private final class OpenPart extends PartOutputStream {
    private final String name;
    private final PartOutputStream out;

    OpenPart(String name, PartOutputStream out) {
      this.name = name;
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException | RuntimeException e) {
        failed(e);
        throw e;
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      synchronized (RepositoryBackupWriter.this) {
        if (open != this) {
          return;
        }
        try {
          out.close();
        } catch (IOException | RuntimeException e) {
          failed(e);
          throw e;
        }
        add(name, out.result());
        open = null;
      }
    }

    @Override
    public void abort(Throwable reason) {
      out.abort(reason);
      failed(reason);
    }

    private void failed(Throwable t) {
      synchronized (RepositoryBackupWriter.this) {
        if (failure == null) {
          failure = t;
        }
        if (open == this) {
          open = null;
        }
      }
    }

    @Override
    public PartResult result() {
      return out.result();
    }
  }
}
