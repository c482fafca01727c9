package io.aido.backup.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PipelineTest {
  private static final ObjectKey KEY = ObjectKey.of("data/dapr/20261124T020000Z-a1b2c3/state");
  private static final PipelineSettings SMALL = new PipelineSettings(3, 2, 64 * 1024, 2);
  private static DataKey dataKey;

  private final MemoryBlobStore store = new MemoryBlobStore();
  private final Pipeline pipeline = new Pipeline(SMALL);

  @BeforeAll
  static void key() throws GeneralSecurityException {
    dataKey = DataKey.generate();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1000, 5 * 1024 * 1024 + 17})
  void store_thenLoad_roundTripsWithSizesAndHash(int size) throws IOException {
    byte[] content = TestData.bytes(size, size);

    PartResult stored = pipeline.store(new ByteArrayInputStream(content), store, KEY, dataKey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PartResult loaded = pipeline.load(store, KEY, dataKey, out);

    assertThat(out.toByteArray()).isEqualTo(content);
    assertThat(stored.plaintextSize()).isEqualTo(size);
    assertThat(stored.plaintextSha256()).isEqualTo(TestData.sha256(content));
    assertThat(stored.storedSize()).isEqualTo(store.stat(KEY).orElseThrow().size());
    assertThat(loaded).isEqualTo(stored);
  }

  @Test
  void store_compressibleContent_storesLessThanPlaintext() throws IOException {
    byte[] content = new byte[4 * 1024 * 1024];
    PartResult stored = pipeline.store(new ByteArrayInputStream(content), store, KEY, dataKey);
    assertThat(stored.storedSize()).isLessThan(content.length / 100);
  }

  @Test
  void store_singleThreadedCompression_roundTrips() throws IOException {
    Pipeline single = new Pipeline(new PipelineSettings(1, 0, 4096, 1));
    byte[] content = TestData.bytes(300_000, 7);
    single.store(new ByteArrayInputStream(content), store, KEY, dataKey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    single.load(store, KEY, dataKey, out);
    assertThat(out.toByteArray()).isEqualTo(content);
  }

  @Test
  void writer_thenReader_roundTrips() throws IOException {
    byte[] content = TestData.bytes(3 * 1024 * 1024 + 5, 3);
    PartOutputStream w = pipeline.writer(store, KEY, dataKey);
    for (int i = 0; i < content.length; i += 1000) {
      w.write(content, i, Math.min(1000, content.length - i));
    }
    assertThat(store.stat(KEY)).as("invisible until closed").isEmpty();
    w.close();

    PartInputStream r = pipeline.reader(store, KEY, dataKey);
    byte[] back;
    try (r) {
      back = r.readAllBytes();
    }
    assertThat(back).isEqualTo(content);
    assertThat(r.result()).isEqualTo(w.result());
    assertThat(w.result().plaintextSha256()).isEqualTo(TestData.sha256(content));
  }

  @Test
  void writerResult_beforeClose_throws() throws IOException {
    PartOutputStream w = pipeline.writer(store, KEY, dataKey);
    assertThatThrownBy(w::result).isInstanceOf(IllegalStateException.class);
    w.abort(new IOException("test done"));
  }

  @Test
  void writerAbort_leavesNoObject_andStaysFailed() throws IOException {
    PartOutputStream w = pipeline.writer(store, KEY, dataKey);
    w.write(TestData.bytes(200_000, 1));
    w.abort(new IOException("pg_dump exited with 1"));
    w.abort(new IOException("twice is fine"));

    assertThat(store.list("data/")).isEmpty();
    assertThatThrownBy(() -> w.write(1)).hasMessageContaining("failed earlier");
    assertThatThrownBy(w::close)
        .hasMessageContaining("failed earlier")
        .hasRootCauseMessage("pg_dump exited with 1");
  }

  @Test
  void store_existingKey_failsInUploadAndKeepsOriginal() throws IOException {
    pipeline.store(new ByteArrayInputStream(new byte[] {1}), store, KEY, dataKey);
    byte[] before = store.open(KEY).readAllBytes();

    assertThatThrownBy(
            () -> pipeline.store(new ByteArrayInputStream(new byte[] {2}), store, KEY, dataKey))
        .isInstanceOf(PipelineException.class)
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.UPLOAD))
        .hasCauseInstanceOf(ObjectExistsException.class);
    assertThat(store.open(KEY).readAllBytes()).isEqualTo(before);
  }

  @Test
  void store_sourceFails_abortsNamingSourceStage() {
    InputStream source = new FailingInput(TestData.bytes(1_000_000, 2), 700_000);

    assertThatThrownBy(() -> pipeline.store(source, store, KEY, dataKey))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("'" + KEY + "'")
        .hasMessageContaining("source stage failed: pg_dump died")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.SOURCE));
    assertThat(store.list("")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"COMPRESS", "ENCRYPT"})
  void store_stageFails_abortsNamingStage(String stageName) {
    Stage stage = Stage.valueOf(stageName);
    Pipeline faulty = FaultyTransforms.pipeline(SMALL, stage, 300_000);
    InputStream source = new ByteArrayInputStream(TestData.bytes(2_000_000, 3));

    assertThatThrownBy(() -> faulty.store(source, store, KEY, dataKey))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("'" + KEY + "'")
        .hasMessageContaining(stage + " stage failed: ")
        .hasMessageContaining("injected")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(stage));
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void store_storeFailsMidUpload_abortsNamingUploadStage() {
    BlobStore failing =
        new FaultInjectingBlobStore(store)
            .failUploadsAfter(FaultInjectingBlobStore.under("data/"), 100_000);
    InputStream source = new ByteArrayInputStream(TestData.bytes(2_000_000, 4));

    assertThatThrownBy(() -> pipeline.store(source, failing, KEY, dataKey))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("upload stage failed: ")
        .hasMessageContaining("connection reset")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.UPLOAD));
    assertThat(store.list("")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {20_000, 2_000_000})
  void store_storeKeepsOnlyTheStartOfThePart_failsAndLeavesNoObject(int size) throws IOException {
    // a store that ends the object early and reports success: a short write
    BlobStore shortWriting =
        new FaultInjectingBlobStore(store).truncateUploads(FaultInjectingBlobStore.every(), 1000);
    InputStream source = new ByteArrayInputStream(TestData.bytes(size, 6));

    assertThatThrownBy(() -> pipeline.store(source, shortWriting, KEY, dataKey))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("upload stage failed: ")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.UPLOAD));
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void writer_storeFails_writeThrowsAndNothingVisible() throws IOException {
    BlobStore failing =
        new FaultInjectingBlobStore(store)
            .failUploadsAfter(FaultInjectingBlobStore.under("data/"), 10_000);
    PartOutputStream w = pipeline.writer(failing, KEY, dataKey);
    byte[] chunk = TestData.bytes(100_000, 5);

    assertThatThrownBy(
            () -> {
              for (int i = 0; i < 100; i++) {
                w.write(chunk);
              }
              w.close();
            })
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("upload stage failed");
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void load_missingObject_throwsNotFound() {
    assertThatThrownBy(() -> pipeline.load(store, KEY, dataKey, OutputStream.nullOutputStream()))
        .isInstanceOf(ObjectNotFoundException.class)
        .hasMessageContaining("missing object '" + KEY + "'");
  }

  @Test
  void load_tamperedObject_failsInDecryptNamingObject() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(3_000_000, 6)), store, KEY, dataKey);
    byte[] stored = store.open(KEY).readAllBytes();
    stored[stored.length / 2] ^= 1;
    store.tamper(KEY, stored);

    assertThatThrownBy(() -> pipeline.load(store, KEY, dataKey, OutputStream.nullOutputStream()))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("decrypt stage failed")
        .hasMessageContaining("authentication failed")
        .hasMessageContaining("'" + KEY + "'")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.DECRYPT));
  }

  @Test
  void reader_truncatedObject_throwsInsteadOfEnding() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(3_000_000, 8)), store, KEY, dataKey);
    byte[] stored = store.open(KEY).readAllBytes();
    store.tamper(KEY, java.util.Arrays.copyOf(stored, stored.length - 100));

    try (PartInputStream in = pipeline.reader(store, KEY, dataKey)) {
      assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream()))
          .isInstanceOf(PipelineException.class)
          .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.DECRYPT));
    }
  }

  @Test
  void load_objectCopiedUnderAnotherName_failsInDecrypt() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(1000, 9)), store, KEY, dataKey);
    ObjectKey other = ObjectKey.of("data/dapr/20261124T020000Z-a1b2c3/other");
    store.create(other, store.open(KEY));

    assertThatThrownBy(() -> pipeline.load(store, other, dataKey, OutputStream.nullOutputStream()))
        .isInstanceOf(PipelineException.class)
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.DECRYPT));
  }

  @Test
  void load_otherDataKey_failsInDecrypt() throws Exception {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(1000, 10)), store, KEY, dataKey);
    DataKey other = DataKey.generate();

    assertThatThrownBy(() -> pipeline.load(store, KEY, other, OutputStream.nullOutputStream()))
        .isInstanceOf(PipelineException.class)
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.DECRYPT));
  }

  @Test
  void load_downloadFailsMidway_namesDownloadNotDecrypt() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(3_000_000, 13)), store, KEY, dataKey);
    // a test double: a connection that drops after some bytes
    FaultInjectingBlobStore dropping =
        new FaultInjectingBlobStore(store)
            .failReadsAfter(FaultInjectingBlobStore.every(), 1_000_000, "connection reset by peer");

    assertThatThrownBy(() -> pipeline.load(dropping, KEY, dataKey, OutputStream.nullOutputStream()))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("download stage failed: connection reset by peer")
        .satisfies(e -> assertThat(((PipelineException) e).stage()).isEqualTo(Stage.DOWNLOAD));
  }

  @Test
  void load_sinkFails_namesSinkStage() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(500_000, 11)), store, KEY, dataKey);
    OutputStream brokenSink =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("disk full");
          }
        };

    assertThatThrownBy(() -> pipeline.load(store, KEY, dataKey, brokenSink))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("sink stage failed: disk full");
  }

  @Test
  void reader_closedEarly_stopsWithoutError() throws IOException {
    pipeline.store(new ByteArrayInputStream(TestData.bytes(4_000_000, 12)), store, KEY, dataKey);
    PartInputStream in = pipeline.reader(store, KEY, dataKey);
    assertThat(in.read(new byte[1000])).isPositive();
    in.close();
    assertThatThrownBy(in::result).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(in::read).hasMessageContaining("closed");
  }

  /** A source that fails part-way, as a dying pg_dump's stdout does. */
  static final class FailingInput extends InputStream {
    private final ByteArrayInputStream data;
    private final int failAt;
    private int read;

    FailingInput(byte[] data, int failAt) {
      this.data = new ByteArrayInputStream(data);
      this.failAt = failAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (read >= failAt) {
        throw new IOException("pg_dump died");
      }
      int n = data.read(b, off, Math.min(len, failAt - read));
      read += Math.max(n, 0);
      return n;
    }
  }
}
