package io.aido.backup.core.storage;

import static io.aido.backup.core.storage.FaultInjectingBlobStore.under;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FaultInjectingBlobStoreTest {
  private static final byte[] DATA = "0123456789".getBytes();

  private final MemoryBlobStore inner = new MemoryBlobStore();
  private final FaultInjectingBlobStore store = new FaultInjectingBlobStore(inner);

  private static InputStream data() {
    return new ByteArrayInputStream(DATA);
  }

  private byte[] read(String key) throws IOException {
    try (InputStream in = store.open(ObjectKey.of(key))) {
      return in.readAllBytes();
    }
  }

  @Test
  void noFault_everyCallReachesTheStoreUnchanged() throws IOException {
    store.create(ObjectKey.of("a/x"), data());

    assertThat(read("a/x")).isEqualTo(DATA);
    assertThat(store.stat(ObjectKey.of("a/x"))).isPresent();
    assertThat(store.list("a/")).hasSize(1);
    store.delete(ObjectKey.of("a/x"));
    assertThat(inner.stat(ObjectKey.of("a/x"))).isEmpty();
    assertThat(store.describe()).isEqualTo(inner.describe());
  }

  @Test
  void fail_selectedObjects_throwWithoutReachingTheStore() throws IOException {
    store.create(ObjectKey.of("a/x"), data());
    store.fail(Operation.DELETE, under("a/"), "permission denied");

    assertThatThrownBy(() -> store.delete(ObjectKey.of("a/x")))
        .isInstanceOf(IOException.class)
        .hasMessage("permission denied");
    assertThat(inner.stat(ObjectKey.of("a/x"))).isPresent();
    store.create(ObjectKey.of("b/y"), data());
    store.delete(ObjectKey.of("b/y"));
  }

  @Test
  void failAfterCalls_letsTheFirstThrough() throws IOException {
    store.failAfterCalls(Operation.LIST, 2, "quota exceeded");

    store.list("");
    store.list("");
    assertThatThrownBy(() -> store.list("")).hasMessage("quota exceeded");
  }

  @Test
  void failUploadsAfter_brokenUploadLeavesNoObject() {
    store.failUploadsAfter(under("data/"), 4);

    assertThatThrownBy(() -> store.create(ObjectKey.of("data/p"), data()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("connection reset (injected after 4 bytes)");
    assertThat(inner.stat(ObjectKey.of("data/p"))).isEmpty();
  }

  @Test
  void truncateUploads_storesTheBeginningOnly() throws IOException {
    store.truncateUploads(under("data/"), 3);

    store.create(ObjectKey.of("data/p"), data());

    assertThat(read("data/p")).containsExactly('0', '1', '2');
  }

  @Test
  void corruptUploads_flipsOneBit() throws IOException {
    store.corruptUploads(under("data/"));

    store.create(ObjectKey.of("data/p"), data());

    byte[] stored = read("data/p");
    assertThat(stored[0]).isEqualTo((byte) ('0' ^ 1));
    assertThat(stored).endsWith("123456789".getBytes());
  }

  @Test
  void failReadsAfter_breaksMidRead() throws IOException {
    store.create(ObjectKey.of("data/p"), data());
    store.failReadsAfter(under("data/"), 5, "connection reset by peer");

    try (InputStream in = store.open(ObjectKey.of("data/p"))) {
      assertThat(in.readNBytes(5)).hasSize(5);
      assertThatThrownBy(in::read).hasMessage("connection reset by peer");
    }
  }

  @Test
  void truncateReads_endsEarly() throws IOException {
    store.create(ObjectKey.of("data/p"), data());
    store.truncateReads(under("data/"), 2);

    assertThat(read("data/p")).containsExactly('0', '1');
  }

  @Test
  void before_runsTheHookWithTheKey_andClearRemovesIt() throws IOException {
    store.before(
        Operation.STAT,
        key -> {
          throw new ObjectNotFoundException(key, "test");
        });

    assertThatThrownBy(() -> store.stat(ObjectKey.of("x")))
        .isInstanceOf(ObjectNotFoundException.class);
    store.clear();
    assertThat(store.stat(ObjectKey.of("x"))).isEmpty();
  }

  @Test
  void before_onAListing_isRefused() {
    assertThatThrownBy(() -> store.before(Operation.LIST, key -> {}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void delay_slowsTheOperation() throws IOException {
    store.delay(Operation.STAT, Duration.ofMillis(50));

    long start = System.nanoTime();
    store.stat(ObjectKey.of("x"));

    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
  }
}
