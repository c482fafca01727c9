package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.reliability.FakeGcs.Call;
import io.aido.backup.reliability.FakeGcs.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The fake bucket itself, through the real GCS client: what the suite's figures rest on. */
class FakeGcsTest {
  private static final ObjectKey KEY = ObjectKey.of("data/db-logical/x/part");
  private final FakeGcs gcs = new FakeGcs();
  private final GcsBlobStore store = gcs.store();

  @AfterEach
  void stop() {
    gcs.close();
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private byte[] read(long offset, long length) throws IOException {
    try (InputStream in = store.open(KEY, offset, length)) {
      return in.readAllBytes();
    }
  }

  @Test
  void createStatListOpenDelete_multiChunkObject_roundTrips() throws IOException {
    byte[] content = bytes(3 * GcsBlobStore.CHUNK_GRANULARITY + 123);

    store.create(KEY, new ByteArrayInputStream(content));

    assertThat(store.stat(KEY).orElseThrow().size()).isEqualTo(content.length);
    assertThat(store.list("data/"))
        .singleElement()
        .satisfies(o -> assertThat(o.key()).isEqualTo(KEY));
    assertThat(read(0, -1)).isEqualTo(content);
    assertThat(read(1000, 10)).isEqualTo(java.util.Arrays.copyOfRange(content, 1000, 1010));
    store.delete(KEY);
    assertThat(store.stat(KEY)).isEmpty();
    assertThat(gcs.injectedTotal()).isZero();
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"THROTTLED", "UNAVAILABLE", "RESET", "SLOW"})
  void open_faultOnTheFirstRead_retriedAndTheBytesAreWhole(Kind kind) throws IOException {
    byte[] content = bytes(GcsBlobStore.CHUNK_GRANULARITY + 5000);
    store.create(KEY, new ByteArrayInputStream(content));
    gcs.inject(Call.MEDIA, n -> true, kind, 1);

    assertThat(read(0, -1)).isEqualTo(content);
    assertThat(gcs.injectedTotal()).isEqualTo(1);
  }

  @Test
  void open_downloadEndingHalfway_failsInsteadOfReturningAShortObject() throws IOException {
    byte[] content = bytes(GcsBlobStore.CHUNK_GRANULARITY + 5000);
    store.create(KEY, new ByteArrayInputStream(content));
    gcs.inject(Call.MEDIA, n -> true, Kind.SHORT, 1);

    assertThatThrownBy(() -> read(0, -1))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the download ended after");
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"THROTTLED", "UNAVAILABLE", "RESET", "LOST_RESPONSE"})
  void create_faultOnAChunkAndTheFinalChunk_retriedAndTheObjectIsWhole(Kind kind)
      throws IOException {
    byte[] content = bytes(3 * GcsBlobStore.CHUNK_GRANULARITY + 5000);
    gcs.inject(Call.CHUNK, n -> true, kind, 1).inject(Call.FINAL_CHUNK, n -> true, kind, 1);

    store.create(KEY, new ByteArrayInputStream(content));

    assertThat(read(0, -1)).isEqualTo(content);
    assertThat(gcs.injectedTotal()).isEqualTo(2);
  }

  @Test
  void create_serverKeepsHalfOfAChunk_resentAndTheObjectIsWhole() throws IOException {
    byte[] content = bytes(3 * GcsBlobStore.CHUNK_GRANULARITY + 5000);
    gcs.inject(Call.CHUNK, n -> true, Kind.SHORT, 2);

    store.create(KEY, new ByteArrayInputStream(content));

    assertThat(read(0, -1)).isEqualTo(content);
    assertThat(gcs.injectedTotal()).isEqualTo(2);
  }

  @Test
  void create_serverKeepsHalfOfTheFinalChunk_failsAndNoObjectIsVisible() {
    byte[] content = bytes(GcsBlobStore.CHUNK_GRANULARITY + 5000);
    gcs.inject(Call.FINAL_CHUNK, n -> true, Kind.SHORT, 1);

    assertThatThrownBy(() -> store.create(KEY, new ByteArrayInputStream(content)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unable to create object '" + KEY + "'");
    assertThat(gcs.objects()).isEmpty();
  }
}
