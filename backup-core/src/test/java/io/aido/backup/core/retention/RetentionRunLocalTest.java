package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retention runs on a {@code file://} repository. */
class RetentionRunLocalTest extends RetentionRunStoreContract {
  @TempDir Path root;

  @Override
  protected BlobStore newStore() {
    return new LocalBlobStore(root);
  }

  @Test
  void apply_removesTemporaryFilesOfUploadsKilledLongerAgoThanTheGracePeriod() throws IOException {
    Path incoming = Files.createDirectories(root.resolve(LocalBlobStore.INCOMING));
    Path abandoned = Files.writeString(incoming.resolve("1.part"), "killed mid-upload");
    Instant now = Instant.now();
    Files.setLastModifiedTime(abandoned, FileTime.from(now.minus(Duration.ofDays(2))));
    Path recent = Files.writeString(incoming.resolve("2.part"), "an upload in progress");

    new RetentionRun(newStore(), RetentionPolicy.DEFAULT, Duration.ofHours(24), true)
        .apply(List.of(), now);
    assertThat(abandoned).as("a dry run deletes nothing").exists();

    new RetentionRun(newStore(), RetentionPolicy.DEFAULT, Duration.ofHours(24), false)
        .apply(List.of(), now);
    assertThat(abandoned).doesNotExist();
    assertThat(recent).exists();
  }
}
