package io.aido.backup.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link AtomicReplace}, run against every store that has the ability. */
public abstract class AtomicReplaceContract {
  private static final ObjectKey KEY = ObjectKey.of("catalog/dapr/20261124T020000Z-a1b2c3.json");

  protected BlobStore store;
  private AtomicReplace replace;

  /** A new, empty store with the ability. */
  protected abstract BlobStore newStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
    replace = AtomicReplace.of(store).orElseThrow();
  }

  private static InputStream text(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  private String read(ObjectKey key) throws IOException {
    try (InputStream in = store.open(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void replace_unchangedObject_newContentVisibleUnderTheSameName() throws Exception {
    ObjectInfo before = store.create(KEY, text("old record"));

    ObjectInfo after = replace.replace(KEY, before, text("new, longer record"));

    assertThat(read(KEY)).isEqualTo("new, longer record");
    assertThat(after.size()).isEqualTo("new, longer record".length());
    assertThat(store.list("catalog/")).extracting(ObjectInfo::key).containsExactly(KEY);
  }

  @Test
  void replace_deletedMeanwhile_throwsNotFoundAndDoesNotBringItBack() throws Exception {
    ObjectInfo before = store.create(KEY, text("old"));
    store.delete(KEY);

    assertThatThrownBy(() -> replace.replace(KEY, before, text("new")))
        .isInstanceOf(ObjectNotFoundException.class);
    assertThat(store.stat(KEY)).isEmpty();
  }

  @Test
  void replace_changedSinceRead_throwsChangedAndKeepsTheCurrentContent() throws Exception {
    ObjectInfo before = store.create(KEY, text("old"));
    ObjectInfo current = replace.replace(KEY, before, text("someone else's"));

    assertThatThrownBy(() -> replace.replace(KEY, before, text("mine")))
        .isInstanceOf(ObjectChangedException.class)
        .hasMessageContaining("'" + KEY + "'");
    assertThat(read(KEY)).isEqualTo("someone else's");
    assertThat(store.stat(KEY)).contains(current);
  }

  @Test
  void replace_contentStreamFails_oldContentStays() throws Exception {
    ObjectInfo before = store.create(KEY, text("old"));
    InputStream failing =
        new InputStream() {
          private int n;

          @Override
          public int read() throws IOException {
            if (n++ > 10) {
              throw new IOException("source broke");
            }
            return 'x';
          }
        };

    assertThatThrownBy(() -> replace.replace(KEY, before, failing)).isInstanceOf(IOException.class);
    assertThat(read(KEY)).isEqualTo("old");
  }
}
