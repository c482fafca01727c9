package io.aido.backup.core.bench;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.repository.internal.KeyRewrap;
import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Java side of {@code bench/rewrap-bench.sh}. Not a test.
 *
 * <pre>
 * RewrapBench populate REPO_DIR KEYSET BACKUPS PART_BYTES   backups under KEYSET, then rotate it
 * RewrapBench rewrap REPO_DIR KEYSET                        rewrap, counting bytes read per prefix
 * </pre>
 */
public final class RewrapBench {
  private RewrapBench() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "populate" ->
          populate(
              Path.of(args[1]),
              Path.of(args[2]),
              Integer.parseInt(args[3]),
              Integer.parseInt(args[4]));
      case "rewrap" -> rewrap(Path.of(args[1]), Path.of(args[2]));
      default -> throw new IllegalArgumentException("populate or rewrap, not " + args[0]);
    }
  }

  private static void populate(Path repo, Path keyset, int backups, int partBytes)
      throws Exception {
    KeyEncryptionKey kek = KeyEncryptionKeys.generateKeysetFile(keyset);
    Repository repository =
        Repository.open(
            new LocalBlobStore(repo), new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    Random random = new Random(1);
    byte[] part = new byte[partBytes];
    for (int i = 0; i < backups; i++) {
      random.nextBytes(part);
      try (BackupWriter w =
          repository.begin(BackupKind.DB_LOGICAL, Source.database("bench", "15"), kek)) {
        w.writePart("bench.dump", new ByteArrayInputStream(part));
        w.commit(Map.of());
      }
    }
    KeyEncryptionKeys.rotateKeysetFile(keyset);
  }

  private static void rewrap(Path repo, Path keyset) throws Exception {
    Counting store = new Counting(new LocalBlobStore(repo));
    KeyEncryptionKey kek = KeyEncryptionKeys.open(keyset.toString());
    long start = System.nanoTime();
    KeyRewrap.Report report =
        new KeyRewrap(store, kek, List.of(), KeyRewrap.Listener.NONE).run(false);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "rewrapped %d, current %d, failed %d in %.2f s; bytes read by prefix: %s%n",
        report.count(KeyRewrap.Status.REWRAPPED),
        report.count(KeyRewrap.Status.CURRENT),
        report.count(KeyRewrap.Status.FAILED),
        seconds,
        store.read);
  }

  /** A store that counts the bytes read from it, per first name segment. */
  private static final class Counting implements BlobStore, AtomicReplace {
    private final LocalBlobStore delegate;
    final Map<String, AtomicLong> read = new TreeMap<>();

    Counting(LocalBlobStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream open(ObjectKey key, long offset, long length) throws IOException {
      AtomicLong counter =
          read.computeIfAbsent(
              key.name().substring(0, key.name().indexOf('/') + 1), k -> new AtomicLong());
      return new FilterInputStream(delegate.open(key, offset, length)) {
        @Override
        public int read() throws IOException {
          int b = super.read();
          if (b >= 0) {
            counter.incrementAndGet();
          }
          return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          if (n > 0) {
            counter.addAndGet(n);
          }
          return n;
        }
      };
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
    public String describe() {
      return delegate.describe();
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
      return delegate.create(key, content);
    }

    @Override
    public void delete(ObjectKey key) throws IOException {
      delegate.delete(key);
    }

    @Override
    public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
        throws IOException {
      return delegate.replace(key, expected, content);
    }
  }
}
