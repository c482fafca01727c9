package io.aido.backup.core.storage.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.AbandonedUploads;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStoreContract;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
  void removeAbandonedUploads_removesOnlyOldTemporaryFiles() throws IOException {
    ObjectKey key = ObjectKey.of("data/db-logical/id/part-0");
    store.create(key, in("whole"));
    Path incoming = Files.createDirectories(root().resolve(LocalBlobStore.INCOMING));
    Path old = Files.writeString(incoming.resolve("1.part"), "killed two days ago");
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
    Path running = Files.writeString(incoming.resolve("2.part"), "still uploading");

    long freed =
        ((AbandonedUploads) store).removeAbandonedUploads(Instant.now().minus(Duration.ofDays(1)));

    assertThat(freed).isEqualTo("killed two days ago".length());
    assertThat(old).doesNotExist();
    assertThat(running).exists();
    assertThat(store.list("")).extracting(i -> i.key().name()).containsExactly(key.name());
  }

  @Test
  void delete_lastObjectsOfABackup_removesTheEmptyDirectoriesButNotTheRootOrAFullOne()
      throws IOException {
    ObjectKey a = ObjectKey.of("data/db-logical/one/part-0");
    ObjectKey b = ObjectKey.of("data/db-logical/one/part-1");
    ObjectKey other = ObjectKey.of("data/db-logical/two/part-0");
    store.create(a, in("a"));
    store.create(b, in("b"));
    store.create(other, in("c"));

    store.delete(a);
    assertThat(root().resolve("data/db-logical/one")).isDirectory();
    store.delete(b);

    assertThat(root().resolve("data/db-logical/one")).doesNotExist();
    assertThat(root().resolve("data/db-logical/two")).isDirectory();
    store.delete(other);
    assertThat(root().resolve("data")).doesNotExist();
    assertThat(root()).isDirectory();
    store.create(other, in("again"));
    assertThat(store.open(other).readAllBytes()).isEqualTo("again".getBytes());
  }

  @Test
  void removeAbandonedUploads_emptyDirectoryOfAnUploadKilledBeforeItsLink_removedWhenOld()
      throws IOException {
    // a run killed between creating the object's directory and linking the object into it
    ObjectKey kept = ObjectKey.of("data/db-logical/whole/part-0");
    store.create(kept, in("whole"));
    Path killed = Files.createDirectories(root().resolve("data/db-logical/killed"));
    Files.setLastModifiedTime(killed, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
    Path fresh = Files.createDirectories(root().resolve("data/db-logical/uploading"));

    ((AbandonedUploads) store).removeAbandonedUploads(Instant.now().minus(Duration.ofDays(1)));

    assertThat(killed).doesNotExist();
    assertThat(fresh).as("a directory a writer may be about to fill").isDirectory();
    assertThat(root()).isDirectory();
    assertThat(store.list("")).extracting(i -> i.key().name()).containsExactly(kept.name());
  }

  @Test
  void removeAbandonedUploads_nothingEverUploaded_freesNothing() throws IOException {
    assertThat(((AbandonedUploads) store).removeAbandonedUploads(Instant.now())).isZero();
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
        .isNotInstanceOf(ObjectExistsException.class)
        .hasMessageContaining("unable to create object 'a/b'");
    try (Stream<Path> temps = Files.list(root().resolve(LocalBlobStore.INCOMING))) {
      assertThat(temps).isEmpty();
    }
  }

  @Test
  void create_concurrentSameKey_exactlyOneWinsAndItsBytesStay() throws Exception {
    ObjectKey key = ObjectKey.of("catalog/db-logical/race.json");
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      String content = "writer-" + i;
      results.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  store.create(key, in(content));
                  return content;
                } catch (ObjectExistsException e) {
                  return null;
                }
              }));
    }
    start.countDown();
    List<String> winners = new ArrayList<>();
    for (Future<String> f : results) {
      String won = f.get(30, TimeUnit.SECONDS);
      if (won != null) {
        winners.add(won);
      }
    }
    pool.shutdown();

    assertThat(winners).hasSize(1);
    assertThat(new String(read(store.open(key)), StandardCharsets.UTF_8)).isEqualTo(winners.get(0));
  }

  @Test
  void create_nameOfDirectory_failsWithoutClaimingItExists() throws IOException {
    store.create(ObjectKey.of("a/b"), in("nested"));

    assertThatThrownBy(() -> store.create(ObjectKey.of("a"), in("file")))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(ObjectExistsException.class)
        .hasMessageContaining("unable to create object 'a'")
        .hasMessageContaining("directory");
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
  void list_rootIsSymbolicLink_listsThroughIt() throws IOException {
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path link = Files.createSymbolicLink(dir.resolve("linked-repo"), volume);
    LocalBlobStore linked = new LocalBlobStore(link);
    linked.create(ObjectKey.of("catalog/dapr/id.json"), in("{}"));

    assertThat(linked.list(""))
        .extracting(i -> i.key().name())
        .containsExactly("catalog/dapr/id.json");
    assertThat(linked.list("catalog/da"))
        .extracting(i -> i.key().name())
        .containsExactly("catalog/dapr/id.json");
    assertThat(Files.exists(volume.resolve("catalog/dapr/id.json"))).isTrue();
  }

  @Test
  void create_newObject_isOwnerOnly() throws IOException {
    store.create(ObjectKey.of("data/x/part-0"), in("secret-ish"));

    assertThat(Files.getPosixFilePermissions(root().resolve("data/x/part-0")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
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
