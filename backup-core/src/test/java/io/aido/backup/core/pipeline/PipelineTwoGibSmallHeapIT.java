package io.aido.backup.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2 GiB stream through the pipeline and back with the heap capped at 64 MiB. The build runs this
 * class alone in a JVM started with {@code -Xmx64m} (the {@code small-heap} failsafe execution in
 * backup-core's pom); the first assertion proves the cap is in force. The store is the real
 * filesystem store, so the ciphertext really goes to disk and back.
 */
class PipelineTwoGibSmallHeapIT {
  private static final long SIZE = 2L * 1024 * 1024 * 1024;
  private static final long MIB = 1024 * 1024;

  @Test
  void twoGibStream_roundTripsWithin64MibHeap(@TempDir Path dir) throws Exception {
    assertThat(Runtime.getRuntime().maxMemory())
        .as("this test must run with -Xmx64m")
        .isLessThanOrEqualTo(64 * MIB);
    LocalBlobStore store = new LocalBlobStore(dir.toAbsolutePath());
    Pipeline pipeline = new Pipeline(PipelineSettings.defaults());
    DataKey key = DataKey.generate();
    ObjectKey object = ObjectKey.of("data/db-logical/20261124T020000Z-a1b2c3/big.dump");

    MessageDigest in = MessageDigest.getInstance("SHA-256");
    long t0 = System.nanoTime();
    PartResult stored =
        pipeline.store(new DigestInputStream(new TestData(SIZE, 42), in), store, object, key);
    long t1 = System.nanoTime();
    MessageDigest out = MessageDigest.getInstance("SHA-256");
    PartResult loaded =
        pipeline.load(
            store,
            object,
            key,
            new OutputStream() {
              @Override
              public void write(int b) {
                out.update((byte) b);
              }

              @Override
              public void write(byte[] b, int off, int len) {
                out.update(b, off, len);
              }
            });
    long t2 = System.nanoTime();

    String expected = HexFormat.of().formatHex(in.digest());
    assertThat(stored.plaintextSize()).isEqualTo(SIZE);
    assertThat(stored.plaintextSha256()).isEqualTo(expected);
    assertThat(loaded.plaintextSize()).isEqualTo(SIZE);
    assertThat(loaded.plaintextSha256()).isEqualTo(expected);
    assertThat(HexFormat.of().formatHex(out.digest())).isEqualTo(expected);
    assertThat(stored.storedSize()).isEqualTo(store.stat(object).orElseThrow().size());

    StringBuilder peaks = new StringBuilder();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peaks.append(' ').append(pool.getName()).append('=');
        peaks.append(pool.getPeakUsage().getUsed() / MIB).append("MiB");
      }
    }
    // printed rather than logged: the figures belong in the build output whatever logging does
    System.out.printf(
        "2 GiB round trip: store %d ms (%d MiB/s), load %d ms (%d MiB/s), stored %d MiB,"
            + " max heap %d MiB, peak per heap pool:%s%n",
        (t1 - t0) / 1_000_000,
        SIZE / MIB * 1_000_000_000L / (t1 - t0),
        (t2 - t1) / 1_000_000,
        SIZE / MIB * 1_000_000_000L / (t2 - t1),
        stored.storedSize() / MIB,
        Runtime.getRuntime().maxMemory() / MIB,
        peaks);
  }
}
