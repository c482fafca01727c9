package io.aido.backup.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoresTest {
  @TempDir Path dir;

  @Test
  void open_fileUrl_isLocalStoreAtThatPath() {
    BlobStore store = BlobStores.open("file://" + dir.resolve("repo"));

    assertThat(store).isInstanceOf(LocalBlobStore.class);
    assertThat(((LocalBlobStore) store).root()).isEqualTo(dir.resolve("repo"));
    assertThat(store.describe()).isEqualTo("file://" + dir.resolve("repo"));
  }

  @Test
  void open_gsUrl_isGcsStoreWithBucketAndPrefix() {
    BlobStore store = BlobStores.open("gs://acme-backups/prod/todo");

    assertThat(store).isInstanceOf(GcsBlobStore.class);
    assertThat(store.describe()).isEqualTo("gs://acme-backups/prod/todo");
    assertThat(BlobStores.open("gs://acme-backups").describe()).isEqualTo("gs://acme-backups");
    assertThat(BlobStores.open("gs://acme-backups/").describe()).isEqualTo("gs://acme-backups");
  }

  @Test
  void open_memoryUrl_sameNameIsSameStore() throws IOException {
    BlobStore a = BlobStores.open("memory://blob-stores-test");
    a.create(ObjectKey.of("x"), new ByteArrayInputStream(new byte[] {1, 2}));

    BlobStore b = BlobStores.open("memory://blob-stores-test");

    assertThat(b).isInstanceOf(MemoryBlobStore.class).isSameAs(a);
    assertThat(b.describe()).isEqualTo("memory://blob-stores-test");
    assertThat(BlobStores.open("memory://other-name").stat(ObjectKey.of("x"))).isEmpty();
  }

  @Test
  void register_storeUnderMemoryName_isOpenedUntilClosed() throws IOException {
    MemoryBlobStore mine = new MemoryBlobStore(java.time.Clock.systemUTC(), "mine");
    FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(mine);

    try (BlobStores.Registration r = BlobStores.register("registered-test", faulty)) {
      assertThat(BlobStores.open("memory://registered-test")).isSameAs(faulty);
      assertThat(BlobStores.isRegistered(RepositoryUrl.parse("memory://registered-test"))).isTrue();
      assertThatThrownBy(() -> BlobStores.register("registered-test", mine))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("memory://registered-test is already in use");
    }

    assertThat(BlobStores.open("memory://registered-test")).isNotSameAs(faulty);
    // a store opened, not registered, vanishes with the JVM
    assertThat(BlobStores.isRegistered(RepositoryUrl.parse("memory://registered-test"))).isFalse();
  }

  @Test
  void register_invalidName_refused() {
    MemoryBlobStore mine = new MemoryBlobStore(java.time.Clock.systemUTC(), "mine");

    assertThatThrownBy(() -> BlobStores.register("a/b", mine))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void open_unknownForms_failListingAcceptedForms() {
    for (String url :
        new String[] {
          "s3://bucket/x",
          "/var/backups",
          "file:relative/dir",
          "file://otherhost/var/backups",
          "gs:///no-bucket",
          "gs://Bad_Bucket!/x",
          "memory://",
          "memory://name/path",
          "not a url",
          ""
        }) {
      assertThatThrownBy(() -> BlobStores.open(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("file:///absolute/path")
          .hasMessageContaining("gs://bucket[/prefix]")
          .hasMessageContaining("memory://name");
    }
  }

  @Test
  void open_urlWithCredentials_isRejectedWithoutRepeatingThem() {
    assertThatThrownBy(() -> BlobStores.open("gs://user:s3cr3t@bucket/prefix"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gs://***@bucket/prefix")
        .hasMessageNotContaining("s3cr3t");
  }

  @Test
  void open_parsedUrl_isTheStoreTheStringOpens() {
    RepositoryUrl url = RepositoryUrl.parse("file://" + dir.resolve("repo"));

    assertThat(BlobStores.open(url).describe())
        .isEqualTo(BlobStores.open(url.toString()).describe());
  }

  @Test
  void open_invalidPrefix_isRejected() {
    assertThatThrownBy(() -> BlobStores.open("gs://bucket/a/../b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix");
  }
}
