package io.aido.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import io.aido.backup.core.wal.WalHeader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalArchiveTest {
  private static final long SIZE = 1 << 20;
  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

  @TempDir Path dir;
  private final MemoryBlobStore store = new MemoryBlobStore();
  private WalArchive archive;
  private KeyEncryptionKey kek;
  private DataKey key;
  private WrappedDataKey wrapped;
  private final WalSegment segment = new WalSegment(1, 7, SIZE);

  @BeforeEach
  void setUp() throws Exception {
    archive = new WalArchive(store, new Pipeline(PipelineSettings.defaults()));
    kek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("kek.json"));
    key = DataKey.generate();
    wrapped = key.wrap(kek);
  }

  private Path segmentFile(long seed) throws IOException {
    byte[] bytes = new byte[(int) SIZE];
    new Random(seed).nextBytes(bytes);
    Arrays.fill(bytes, (int) SIZE / 2, (int) SIZE, (byte) 0);
    Path file = dir.resolve("seg-" + seed);
    Files.write(file, bytes);
    return file;
  }

  @Test
  void storeThenFetch_wholeSegment_identical() throws Exception {
    Path file = segmentFile(1);
    assertThat(archive.store(ArchivedWal.whole(segment), file, "42", key, wrapped, NOW))
        .isEqualTo(WalArchive.Outcome.STORED);
    Path out = dir.resolve("out");
    archive.fetch(ArchivedWal.whole(segment), kek, out, WalArchive.keyCache());
    assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(file));
    WalHeader h = archive.header(ArchivedWal.whole(segment).key());
    assertThat(h.segment()).isEqualTo(segment.name());
    assertThat(h.systemIdentifier()).isEqualTo("42");
    assertThat(h.archivedAt()).isEqualTo(NOW);
    assertThat(h.key().kekId()).isEqualTo(kek.id());
  }

  @Test
  void fetch_partial_paddedWithZerosToSegmentSize() throws Exception {
    Path file = segmentFile(2);
    ArchivedWal partial = ArchivedWal.partial(segment, 1000);
    archive.store(partial, file, "42", key, wrapped, NOW);
    Path out = dir.resolve("out");
    archive.fetch(partial, kek, out, WalArchive.keyCache());
    byte[] got = Files.readAllBytes(out);
    assertThat(got).hasSize((int) SIZE);
    assertThat(Arrays.copyOf(got, 1000)).isEqualTo(Arrays.copyOf(Files.readAllBytes(file), 1000));
    assertThat(Arrays.copyOfRange(got, 1000, (int) SIZE)).containsOnly((byte) 0);
  }

  @Test
  void store_rerunSameContent_alreadyStoredAndUntouched() throws Exception {
    Path file = segmentFile(3);
    ArchivedWal whole = ArchivedWal.whole(segment);
    archive.store(whole, file, "42", key, wrapped, NOW);
    byte[] before = store.open(whole.key()).readAllBytes();
    DataKey otherRunKey = DataKey.generate();
    assertThat(
            archive.store(
                whole, file, "42", otherRunKey, otherRunKey.wrap(kek), NOW.plusSeconds(5)))
        .isEqualTo(WalArchive.Outcome.ALREADY_STORED);
    assertThat(store.open(whole.key()).readAllBytes()).isEqualTo(before);
  }

  @Test
  void store_differentContentUnderSameName_refusedAndOriginalKept() throws Exception {
    ArchivedWal whole = ArchivedWal.whole(segment);
    archive.store(whole, segmentFile(4), "42", key, wrapped, NOW);
    byte[] before = store.open(whole.key()).readAllBytes();
    Path other = segmentFile(5);
    assertThatThrownBy(() -> archive.store(whole, other, "42", key, wrapped, NOW))
        .isInstanceOf(WalConflictException.class)
        .hasMessageContaining("refusing to archive WAL object '" + whole.key() + "'");
    assertThat(store.open(whole.key()).readAllBytes()).isEqualTo(before);
  }

  @Test
  void store_sameContentFromAnotherCluster_refused() throws Exception {
    Path file = segmentFile(6);
    ArchivedWal whole = ArchivedWal.whole(segment);
    archive.store(whole, file, "42", key, wrapped, NOW);
    assertThatThrownBy(() -> archive.store(whole, file, "43", key, wrapped, NOW))
        .isInstanceOf(WalConflictException.class)
        .hasMessageContaining("system identifier 42");
  }

  @Test
  void fetch_wrongKey_wrongKeyException() throws Exception {
    ArchivedWal whole = ArchivedWal.whole(segment);
    archive.store(whole, segmentFile(7), "42", key, wrapped, NOW);
    KeyEncryptionKey other = KeyEncryptionKeys.generateKeysetFile(dir.resolve("other.json"));
    assertThatThrownBy(() -> archive.fetch(whole, other, dir.resolve("out"), WalArchive.keyCache()))
        .isInstanceOf(WrongKeyException.class);
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void fetch_tamperedCiphertext_failsAndWritesNothing() throws Exception {
    ArchivedWal whole = ArchivedWal.whole(segment);
    archive.store(whole, segmentFile(8), "42", key, wrapped, NOW);
    byte[] bytes = store.open(whole.key()).readAllBytes();
    bytes[bytes.length - 100] ^= 1;
    store.tamper(whole.key(), bytes);
    assertThatThrownBy(() -> archive.fetch(whole, kek, dir.resolve("out"), WalArchive.keyCache()))
        .isInstanceOf(IOException.class);
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void header_notAWalObject_clearMessage() throws Exception {
    io.aido.backup.core.storage.ObjectKey k = ArchivedWal.whole(segment).key();
    store.create(k, InputStream.nullInputStream());
    assertThatThrownBy(() -> archive.header(k))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("too short");
  }
}
