package io.aido.backup.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rules every {@link BlobStore} keeps, run against each implementation by a subclass.
 *
 * <p>Test data is small except for one object of a few MiB, which is larger than the GCS upload
 * chunk the subclasses configure, so uploads take more than one request.
 */
public abstract class BlobStoreContract {

  /** Bytes in the "large" object: more than one 256 KiB GCS chunk, several local buffers. */
  protected static final int LARGE = 3 * 1024 * 1024 + 12345;

  protected BlobStore store;

  /** A new, empty store for one test. */
  protected abstract BlobStore newStore() throws Exception;

  @BeforeEach
  void setUpStore() throws Exception {
    store = newStore();
  }

  protected static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  protected static InputStream in(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  protected static byte[] read(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private List<String> names(String prefix) throws IOException {
    return store.list(prefix).stream().map(i -> i.key().name()).toList();
  }

  /** Yields {@code good} bytes, then fails as a broken source would. */
  protected static final class FailingInputStream extends InputStream {
    private final int good;
    private int served;

    public FailingInputStream(int good) {
      this.good = good;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (served >= good) {
        throw new IOException("source broke after " + served + " bytes");
      }
      int n = Math.min(len, good - served);
      served += n;
      return n;
    }
  }

  @Test
  void create_newKey_storesBytesAndReportsSize() throws IOException {
    ObjectKey key = ObjectKey.of("data/db-logical/id-1/part-0");

    ObjectInfo info = store.create(key, in("hello, backup"));

    assertThat(info.key()).isEqualTo(key);
    assertThat(info.size()).isEqualTo(13);
    assertThat(new String(read(store.open(key)), StandardCharsets.UTF_8))
        .isEqualTo("hello, backup");
  }

  @Test
  void create_existingKey_failsAndKeepsOriginal() throws IOException {
    ObjectKey key = ObjectKey.of("format.json");
    store.create(key, in("original"));

    assertThatThrownBy(() -> store.create(key, in("replacement")))
        .isInstanceOf(ObjectExistsException.class)
        .hasMessageContaining("format.json")
        .hasMessageContaining(store.describe());

    assertThat(new String(read(store.open(key)), StandardCharsets.UTF_8)).isEqualTo("original");
    assertThat(store.stat(key)).get().extracting(ObjectInfo::size).isEqualTo(8L);
  }

  @Test
  protected void create_contentStreamFails_leavesNoObject() throws IOException {
    ObjectKey key = ObjectKey.of("data/dapr/id-2/part-0");

    assertThatThrownBy(() -> store.create(key, new FailingInputStream(600 * 1024)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(ObjectExistsException.class)
        .hasMessageContaining("data/dapr/id-2/part-0")
        .hasMessageContaining("source broke");

    assertThat(store.stat(key)).isEmpty();
    assertThat(store.list("")).isEmpty();
    assertThatThrownBy(() -> store.open(key)).isInstanceOf(ObjectNotFoundException.class);
  }

  @Test
  protected void create_afterFailedCreate_succeeds() throws IOException {
    ObjectKey key = ObjectKey.of("data/dapr/id-3/part-0");
    assertThatThrownBy(() -> store.create(key, new FailingInputStream(10)))
        .isInstanceOf(IOException.class);

    store.create(key, in("second try"));

    assertThat(new String(read(store.open(key)), StandardCharsets.UTF_8)).isEqualTo("second try");
    assertThat(names("")).containsExactly("data/dapr/id-3/part-0");
  }

  @Test
  void create_emptyContent_storesEmptyObject() throws IOException {
    ObjectKey key = ObjectKey.of("empty");

    ObjectInfo info = store.create(key, InputStream.nullInputStream());

    assertThat(info.size()).isZero();
    assertThat(read(store.open(key))).isEmpty();
    assertThat(store.stat(key)).get().extracting(ObjectInfo::size).isEqualTo(0L);
    assertThat(names("")).containsExactly("empty");
  }

  @Test
  void create_fewMiB_roundTripsEveryByte() throws IOException {
    ObjectKey key = ObjectKey.of("data/manifests/id-4/archive");
    byte[] content = bytes(LARGE, 4);

    ObjectInfo info = store.create(key, new ByteArrayInputStream(content));

    assertThat(info.size()).isEqualTo(LARGE);
    assertThat(read(store.open(key))).isEqualTo(content);
  }

  @Test
  void open_range_returnsExactlyThoseBytes() throws IOException {
    ObjectKey key = ObjectKey.of("wal/1/000000010000000000000001");
    byte[] content = bytes(LARGE, 5);
    store.create(key, new ByteArrayInputStream(content));

    byte[] middle = read(store.open(key, 1_000_000, 300_000));
    byte[] tail = read(store.open(key, LARGE - 100, -1));
    byte[] head = read(store.open(key, 0, 10));

    assertThat(middle).isEqualTo(java.util.Arrays.copyOfRange(content, 1_000_000, 1_300_000));
    assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(content, LARGE - 100, LARGE));
    assertThat(head).isEqualTo(java.util.Arrays.copyOfRange(content, 0, 10));
  }

  @Test
  void open_rangePastEnd_returnsOnlyWhatExists() throws IOException {
    ObjectKey key = ObjectKey.of("short");
    store.create(key, in("0123456789"));

    assertThat(read(store.open(key, 7, 100))).isEqualTo("789".getBytes(StandardCharsets.UTF_8));
    assertThat(read(store.open(key, 10, 5))).isEmpty();
    assertThat(read(store.open(key, 50, -1))).isEmpty();
    assertThat(read(store.open(key, 3, 0))).isEmpty();
  }

  @Test
  void open_missingKey_throwsObjectNotFound() {
    ObjectKey key = ObjectKey.of("catalog/db-logical/nothing.json");

    assertThatThrownBy(() -> store.open(key))
        .isInstanceOf(ObjectNotFoundException.class)
        .hasMessageContaining("missing object 'catalog/db-logical/nothing.json'")
        .hasMessageContaining(store.describe());
    assertThatThrownBy(() -> store.open(key, 5, 5)).isInstanceOf(ObjectNotFoundException.class);
  }

  @Test
  void stat_existingKey_returnsSizeAndTime() throws IOException {
    ObjectKey key = ObjectKey.of("catalog/dapr/id.json");
    ObjectInfo created = store.create(key, in("{}"));

    ObjectInfo info = store.stat(key).orElseThrow();

    assertThat(info.key()).isEqualTo(key);
    assertThat(info.size()).isEqualTo(2);
    assertThat(info.created()).isEqualTo(created.created());
  }

  @Test
  void stat_missingKey_isEmpty() throws IOException {
    assertThat(store.stat(ObjectKey.of("nope"))).isEmpty();
  }

  @Test
  void list_prefix_isPlainStringPrefixSortedByName() throws IOException {
    for (String name : List.of("b", "a/bc", "a/b/2", "ab", "a/b/1", "a/b/sub/x", "c/a/b")) {
      store.create(ObjectKey.of(name), in(name));
    }

    assertThat(names(""))
        .containsExactly("a/b/1", "a/b/2", "a/b/sub/x", "a/bc", "ab", "b", "c/a/b");
    assertThat(names("a/b")).containsExactly("a/b/1", "a/b/2", "a/b/sub/x", "a/bc");
    assertThat(names("a/b/")).containsExactly("a/b/1", "a/b/2", "a/b/sub/x");
    assertThat(names("a")).containsExactly("a/b/1", "a/b/2", "a/b/sub/x", "a/bc", "ab");
    assertThat(names("a/b/1")).containsExactly("a/b/1");
    assertThat(store.list("a/b/2").get(0).size()).isEqualTo(5);
  }

  @Test
  void list_prefixMatchingNothing_isEmpty() throws IOException {
    store.create(ObjectKey.of("a/b/1"), in("x"));

    assertThat(names("z")).isEmpty();
    assertThat(names("a/c/")).isEmpty();
    assertThat(names("a/b/1/")).isEmpty();
    assertThat(names("../")).isEmpty();
    assertThat(names("a//")).isEmpty();
    assertThat(names("./a")).isEmpty();
  }

  @Test
  void delete_existingKey_removesIt() throws IOException {
    ObjectKey key = ObjectKey.of("data/x/part-0");
    ObjectKey other = ObjectKey.of("data/x/part-1");
    store.create(key, in("a"));
    store.create(other, in("b"));

    store.delete(key);

    assertThat(store.stat(key)).isEmpty();
    assertThatThrownBy(() -> store.open(key)).isInstanceOf(ObjectNotFoundException.class);
    assertThat(names("data/")).containsExactly("data/x/part-1");
  }

  @Test
  void delete_missingKey_succeeds() throws IOException {
    store.delete(ObjectKey.of("never/created"));

    assertThat(store.list("")).isEmpty();
  }

  @Test
  void create_afterDelete_succeedsWithNewContent() throws IOException {
    ObjectKey key = ObjectKey.of("verify/db-logical/id/t1.json");
    store.create(key, in("old"));
    store.delete(key);

    store.create(key, in("new!"));

    assertThat(new String(read(store.open(key)), StandardCharsets.UTF_8)).isEqualTo("new!");
  }

  @Test
  void describe_isNonEmpty() {
    assertThat(store.describe()).isNotBlank();
  }
}
