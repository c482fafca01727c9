package io.aido.backup.postgres.wal;

import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.pipeline.PartResult;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.wal.WalHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Archived WAL in a repository: each segment (or the beginning of one) is one object under {@code
 * wal/<timeline>/}, a plaintext {@link WalHeader} followed by the segment compressed and encrypted
 * by the core pipeline, with the object's name as associated data.
 *
 * <p>Guarantees: objects are create-only and complete or absent (the store's guarantees). Storing a
 * name that exists with the same content (a rerun after a crash) succeeds without writing; with
 * other content it throws {@link WalConflictException} and leaves the archived object as it is.
 * Fetching checks the plaintext's size and SHA-256 against the header and decryption authenticates
 * every byte, so a fetched segment is exactly what was archived.
 *
 * <p>Restrictions: the segment file given to {@link #store} must not change while it is stored.
 *
 * <pre>{@code
 * WalArchive archive = new WalArchive(store, pipeline);
 * archive.store(ArchivedWal.whole(segment), spoolFile, systemId, dataKey, wrapped, now);
 * WalChain chain = WalChain.of(archive.list(WalSegment.DEFAULT_SIZE));
 * archive.fetch(chain.runFrom(first).get(0), kek, target, keys);
 * }</pre>
 */
public final class WalArchive {
  private final BlobStore store;
  private final Pipeline pipeline;

  public WalArchive(BlobStore store, Pipeline pipeline) {
    this.store = store;
    this.pipeline = pipeline;
  }

  /** What {@link #store} did. */
  public enum Outcome {
    STORED,
    /** The same content was archived before (a rerun). */
    ALREADY_STORED
  }

  /** Every archived WAL object whose name reads as one, for a cluster of {@code segmentSize}. */
  public static List<ArchivedWal> list(BlobReader reader, long segmentSize) throws IOException {
    List<ArchivedWal> out = new ArrayList<>();
    for (ObjectInfo info : reader.list(Layout.WAL)) {
      ArchivedWal.parse(info.key(), segmentSize).ifPresent(out::add);
    }
    return out;
  }

  public List<ArchivedWal> list(long segmentSize) throws IOException {
    return list(store, segmentSize);
  }

  /**
   * Stores the first {@code target.validBytes()} bytes of {@code file} as {@code target}.
   *
   * @throws WalConflictException if {@code target} is archived with other content
   * @throws IOException if reading the file or storing fails; nothing is visible then
   */
  public Outcome store(
      ArchivedWal target,
      Path file,
      String systemIdentifier,
      DataKey dataKey,
      WrappedDataKey wrapped,
      Instant now)
      throws IOException {
    String sha = sha256(file, target.validBytes());
    WalHeader header =
        new WalHeader(
            WalHeader.FORMAT,
            target.segment().name(),
            target.segment().segmentSize(),
            target.validBytes(),
            sha,
            systemIdentifier,
            now,
            wrapped);
    byte[] encoded = header.encode();
    KillPoints.reach("before-wal-object");
    try (InputStream in = new BoundedFileStream(file, target.validBytes())) {
      pipeline.store(in, new Prefixed(store, encoded, encoded.length), target.key(), dataKey);
      return Outcome.STORED;
    } catch (IOException e) {
      if (!causedByExists(e)) {
        throw e;
      }
    }
    WalHeader existing = header(target.key());
    if (existing.validBytes() != target.validBytes() || !existing.plaintextSha256().equals(sha)) {
      throw new WalConflictException(
          target.key(), store.describe(), "SHA-256 " + existing.plaintextSha256() + ", not " + sha);
    }
    if (systemIdentifier != null
        && existing.systemIdentifier() != null
        && !systemIdentifier.equals(existing.systemIdentifier())) {
      throw new WalConflictException(
          target.key(),
          store.describe(),
          "system identifier " + existing.systemIdentifier() + ", not " + systemIdentifier);
    }
    return Outcome.ALREADY_STORED;
  }

  /** The header of an archived object. */
  public WalHeader header(ObjectKey key) throws IOException {
    return header(store, key);
  }

  /** The header of an archived object in {@code reader}. */
  public static WalHeader header(BlobReader reader, ObjectKey key) throws IOException {
    try (InputStream in = reader.open(key, 0, 64 * 1024 + 12)) {
      return WalHeader.read(in, reader.describe() + "/" + key);
    }
  }

  /**
   * Writes the archived segment to {@code target} (replacing it), padded with zeros to the whole
   * segment size if it is partial, as recovery expects every segment file to be.
   *
   * @param keys data keys unwrapped so far, by wrapped key; one run's segments share a key
   * @throws io.aido.backup.core.crypto.WrongKeyException if {@code kek} did not wrap its key
   * @throws IOException if it cannot be read, fails to decrypt, or differs from its header
   */
  public void fetch(ArchivedWal wal, KeyEncryptionKey kek, Path target, Map<String, DataKey> keys)
      throws IOException, GeneralSecurityException {
    WalHeader.Framed framed;
    try (InputStream in = store.open(wal.key(), 0, 64 * 1024 + 12)) {
      framed = WalHeader.readFramed(in, store.describe() + "/" + wal.key());
    }
    WalHeader header = framed.header();
    String binding = Layout.walKeyBinding(wal.key());
    // a bound key is cached under where it was found, so a copied header cannot skip its check
    String cached =
        header.key().boundTo() == null
            ? header.key().ciphertext()
            : binding + " " + header.key().ciphertext();
    DataKey dataKey = keys.get(cached);
    if (dataKey == null) {
      dataKey = DataKey.unwrap(header.key(), kek, binding);
      keys.put(cached, dataKey);
    }
    Path tmp = target.resolveSibling(target.getFileName() + ".fetching");
    PartResult result;
    try (OutputStream out = Files.newOutputStream(tmp)) {
      result = pipeline.load(new Prefixed(store, framed.length()), wal.key(), dataKey, out);
    }
    if (result.plaintextSize() != header.validBytes()
        || !result.plaintextSha256().equals(header.plaintextSha256())) {
      Files.deleteIfExists(tmp);
      throw new IOException(
          "archived WAL object '"
              + wal.key()
              + "' in "
              + store.describe()
              + " decrypted to "
              + result.plaintextSize()
              + " bytes with SHA-256 "
              + result.plaintextSha256()
              + ", but its header says "
              + header.validBytes()
              + " bytes with "
              + header.plaintextSha256());
    }
    if (result.plaintextSize() < wal.segment().segmentSize()) {
      try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
        f.setLength(wal.segment().segmentSize());
      }
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A fresh map for {@link #fetch}'s unwrapped keys. */
  public static Map<String, DataKey> keyCache() {
    return new HashMap<>();
  }

  private static boolean causedByExists(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ObjectExistsException) {
        return true;
      }
    }
    return false;
  }

  static String sha256(Path file, long length) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new BoundedFileStream(file, length)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The first {@code length} bytes of a file; fails if the file is shorter. */
  private static final class BoundedFileStream extends InputStream {
    private final InputStream in;
    private final Path file;
    private long left;

    BoundedFileStream(Path file, long length) throws IOException {
      this.in = Files.newInputStream(file);
      this.file = file;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException("'" + file + "' ended " + left + " bytes early");
      }
      left -= n;
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** The store as the pipeline sees it: every object starts after the WAL header. */
  private static final class Prefixed implements BlobStore {
    private final BlobStore delegate;
    private final byte[] header;

    private final int offset;

    Prefixed(BlobStore delegate, byte[] header, int offset) {
      this.delegate = delegate;
      this.header = header;
      this.offset = offset;
    }

    Prefixed(BlobStore delegate, int offset) {
      this(delegate, new byte[0], offset);
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
      ObjectInfo stored =
          delegate.create(key, new SequenceInputStream(new ByteArrayInputStream(header), content));
      // the size of the content as the pipeline gave it, which is what it checks the store read
      return new ObjectInfo(stored.key(), stored.size() - header.length, stored.created());
    }

    @Override
    public InputStream open(ObjectKey key, long offset, long length) throws IOException {
      return delegate.open(key, offset + this.offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
      return delegate.stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
      return delegate.list(prefix);
    }

    @Override
    public void delete(ObjectKey key) throws IOException {
      delegate.delete(key);
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }

  /** Every object of {@code wal} (for deletions). */
  public BlobStore store() {
    return store;
  }

  public String describe() {
    return store.describe();
  }
}
