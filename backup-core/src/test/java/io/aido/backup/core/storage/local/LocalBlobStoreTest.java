package io.aido.backup.core.storage.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStoreContract;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBlobStoreTest extends BlobStoreContract {
  @TempDir Path dir;

  @Override
  protected BlobStore newStore() {
    return new LocalBlobStore(dir.resolve("repo"));
  }

  private Path root() {
    return dir.resolve("repo");
  }

  @Test
  void list_leftoverTemporaryFile_isNeverShown() throws IOException {
    // what a process killed in the middle of create() leaves behind
    Path incoming = Files.createDirectories(root().resolve(LocalBlobStore.INCOMING));
    Files.writeString(incoming.resolve("123.part"), "half an object");

    assertThat(store.list("")).isEmpty();
    assertThat(store.list(".incoming")).isEmpty();
  }

  @Test
  void create_afterLeftoverTemporaryFile_succeeds() throws IOException {
    Path incoming = Files.createDirectories(root().resolve(LocalBlobStore.INCOMING));
    Files.writeString(incoming.resolve("123.part"), "half an object");
    ObjectKey key = ObjectKey.of("data/db-logical/id/part-0");

    store.create(key, in("whole"));

    assertThat(store.list("")).extracting(i -> i.key().name()).containsExactly(key.name());
    assertThat(Files.readString(root().resolve("data/db-logical/id/part-0"))).isEqualTo("whole");
  }

  @Test
  void create_keyLikeTemporaryDirectory_isAnOrdinaryObject() throws IOException {
    ObjectKey key = ObjectKey.of(".incoming/x");

    store.create(key, in("real"));

    assertThat(store.list("")).extracting(i -> i.key().name()).containsExactly(".incoming/x");
  }

  @Test
  void create_success_leavesNoTemporaryFile() throws IOException {
    store.create(ObjectKey.of("a"), in("x"));
    assertThatThrownBy(() -> store.create(ObjectKey.of("b"), new FailingInputStream(70_000)))
        .isInstanceOf(IOException.class);

    try (Stream<Path> temps = Files.list(root().resolve(LocalBlobStore.INCOMING))) {
      assertThat(temps).isEmpty();
    }
  }

  @Test
  void create_parentIsAnObject_failsWithoutClaimingItExists() throws IOException {
    store.create(ObjectKey.of("a"), in("file"));

    assertThatThrownBy(() -> store.create(ObjectKey.of("a/b"), in("nested")))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(io.aido.backup.core.storage.ObjectExistsException.class)
        .hasMessageContaining("unable to create object 'a/b'");
  }

  @Test
  void open_directory_isNotAnObject() throws IOException {
    store.create(ObjectKey.of("a/b"), in("x"));

    assertThat(store.stat(ObjectKey.of("a"))).isEmpty();
    assertThatThrownBy(() -> store.open(ObjectKey.of("a")))
        .isInstanceOf(ObjectNotFoundException.class);
    store.delete(ObjectKey.of("a"));
    assertThat(store.stat(ObjectKey.of("a/b"))).isPresent();
  }

  @Test
  void list_strayFileWithInvalidName_isSkipped() throws IOException {
    store.create(ObjectKey.of("a/ok"), in("x"));
    Files.writeString(root().resolve("a/back\\slash"), "stray", StandardCharsets.UTF_8);

    assertThat(store.list("a/")).extracting(i -> i.key().name()).containsExactly("a/ok");
  }

  @Test
  void describe_isFileUrlThatReopensTheSameStore() throws IOException {
    store.create(ObjectKey.of("format.json"), in("{}"));

    assertThat(store.describe()).isEqualTo("file://" + root());
    BlobStore again = BlobStores.open(store.describe());
    assertThat(read(again.open(ObjectKey.of("format.json")))).isEqualTo("{}".getBytes());
  }

  @Test
  void open_negativeOffset_isRejected() throws IOException {
    store.create(ObjectKey.of("a"), in("x"));

    assertThatThrownBy(() -> store.open(ObjectKey.of("a"), -1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void new_relativeRoot_isRejected() {
    assertThatThrownBy(() -> new LocalBlobStore(Path.of("relative/dir")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute");
  }
}
