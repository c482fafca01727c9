package io.aido.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.internal.KeyRewrap;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.wal.WalHeader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Core's {@link KeyRewrap} over objects that {@link WalArchive} stored, on a real filesystem. */
class WalRewrapTest {
  @TempDir Path dir;
  private LocalBlobStore store;
  private Path keyset;
  private WalArchive archive;
  private final WalSegment segment = new WalSegment(1, 3, 1 << 20);
  private final byte[] bytes = new byte[1 << 20];

  @BeforeEach
  void setUp() throws Exception {
    store = new LocalBlobStore(dir.resolve("repo"));
    archive = new WalArchive(store, new Pipeline(new PipelineSettings(2, 2, 64 * 1024, 2)));
    keyset = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    new Random(5).nextBytes(bytes);
    Path file = dir.resolve("segment");
    Files.write(file, bytes);
    DataKey key = DataKey.generate();
    archive.store(ArchivedWal.whole(segment), file, "42", key, key.wrap(current()), Instant.now());
  }

  private KeyEncryptionKey current() throws Exception {
    return KeyEncryptionKeys.open(keyset.toString());
  }

  @Test
  void walObject_rewrappedHeaderAndBodyCopiedVerbatim_fetchesWithTheNewKeyOnly() throws Exception {
    ObjectKey object = ArchivedWal.whole(segment).key();
    byte[] stored = store.open(object).readAllBytes();
    int oldHeader = WalHeader.readFramed(new ByteArrayInputStream(stored), "x").length();
    KeyEncryptionKeys.rotateKeysetFile(keyset);

    KeyRewrap.Report report =
        new KeyRewrap(store, current(), List.of(), KeyRewrap.Listener.NONE).run(false);

    assertThat(report.count(KeyRewrap.Status.REWRAPPED)).isEqualTo(1);
    byte[] rewritten = store.open(object).readAllBytes();
    WalHeader.Framed framed = WalHeader.readFramed(new ByteArrayInputStream(rewritten), "x");
    assertThat(framed.header().key().boundTo()).isEqualTo(Layout.walKeyBinding(object));
    assertThat(Arrays.copyOfRange(rewritten, framed.length(), rewritten.length))
        .isEqualTo(Arrays.copyOfRange(stored, oldHeader, stored.length));
    assertThat(report.walBodyBytesCopied()).isEqualTo(stored.length - oldHeader);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);
    Path out = dir.resolve("fetched");
    archive.fetch(
        ArchivedWal.whole(segment),
        KeyEncryptionKeys.open(onlyNew.toString()),
        out,
        WalArchive.keyCache());
    assertThat(Files.readAllBytes(out)).isEqualTo(bytes);
  }

  @Test
  void walObject_notRewrapped_oldKeyRemoved_fetchFailsAsWrongKey() throws Exception {
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    assertThatThrownBy(
            () ->
                archive.fetch(
                    ArchivedWal.whole(segment),
                    KeyEncryptionKeys.open(onlyNew.toString()),
                    dir.resolve("fetched"),
                    WalArchive.keyCache()))
        .isInstanceOf(WrongKeyException.class);
    assertThat(dir.resolve("fetched")).doesNotExist();
  }
}
