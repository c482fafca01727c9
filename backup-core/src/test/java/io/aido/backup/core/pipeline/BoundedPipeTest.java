package io.aido.backup.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BoundedPipeTest {

  @Test
  void finish_readerSeesEverythingThenEnd() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 2);
    byte[] content = TestData.bytes(100_000, 1);
    CompletableFuture<byte[]> read =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return pipe.source().readAllBytes();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    for (int i = 0; i < content.length; i += 777) {
      pipe.sink().write(content, i, Math.min(777, content.length - i));
    }
    pipe.sink().close();
    assertThat(read).isNotDone();
    pipe.finish();
    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(content);
  }

  @Test
  void abortWriter_readerThrowsInsteadOfEnding() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 2);
    pipe.sink().write(new byte[5000]);
    pipe.abortWriter(new IOException("source died"));
    InputStream in = pipe.source();

    assertThatThrownBy(in::readAllBytes)
        .hasMessageContaining("test pipe was aborted: source died")
        .hasRootCauseMessage("source died");
  }

  @Test
  void abortReader_blockedWriterThrows() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 1);
    OutputStream out = pipe.sink();
    CompletableFuture<Void> writing =
        CompletableFuture.runAsync(
            () -> {
              try {
                while (true) {
                  out.write(new byte[4096]);
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    waitUntilBlocked(writing);
    pipe.abortReader(new IOException("store refused"));

    assertThatThrownBy(() -> writing.get(10, TimeUnit.SECONDS))
        .hasRootCauseMessage("store refused")
        .hasMessageContaining("test pipe stopped reading");
  }

  @Test
  void slowReader_writerBlocksWithinBound() throws Exception {
    int chunk = 4096;
    BoundedPipe pipe = new BoundedPipe("test pipe", chunk, 3);
    AtomicLong written = new AtomicLong();
    CompletableFuture<Void> writing =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int i = 0; i < 100; i++) {
                  pipe.sink().write(new byte[chunk]);
                  written.addAndGet(chunk);
                }
                pipe.finish();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    waitUntilBlocked(writing);
    // three chunks queued plus the one the writer is handing over
    assertThat(written.get()).isLessThanOrEqualTo(4L * chunk);
    assertThat(pipe.source().readAllBytes()).hasSize(100 * chunk);
    writing.get(10, TimeUnit.SECONDS);
  }

  @Test
  void readerClosedEarly_writerThrows() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 1);
    pipe.source().close();
    assertThatThrownBy(() -> pipe.sink().write(new byte[1])).hasMessageContaining("before its end");
  }

  /** Waits until the writer made no progress for a while: it is blocked on the full queue. */
  private static void waitUntilBlocked(CompletableFuture<Void> writing) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Thread.sleep(200);
    assertThat(writing).isNotDone();
    assertThat(System.nanoTime()).isLessThan(deadline);
  }

  @Test
  void readFromAndNextSlice_moveEverythingInOrderWithoutLosingABorrowedChunk() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 2);
    byte[] content = TestData.bytes(100_003, 2);
    InputStream source = new java.io.ByteArrayInputStream(content);
    CompletableFuture<Void> writing =
        CompletableFuture.runAsync(
            () -> {
              try {
                while (pipe.readFrom(source, 1000) >= 0) {
                  // reads of 1000 bytes fill 4096-byte chunks across read boundaries
                }
                pipe.finish();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
    java.nio.ByteBuffer slice;
    while ((slice = pipe.nextSlice()) != null) {
      // a slice must stay intact while the writer goes on filling recycled chunks
      byte[] copy = new byte[slice.remaining()];
      Thread.sleep(1);
      slice.get(copy);
      received.write(copy);
    }
    writing.get(10, TimeUnit.SECONDS);
    assertThat(received.toByteArray()).isEqualTo(content);
  }

  @Test
  void readFrom_failingSource_isToldApartFromAFailedPipe() throws Exception {
    BoundedPipe pipe = new BoundedPipe("test pipe", 4096, 2);
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("disk gone");
          }
        };
    assertThatThrownBy(() -> pipe.readFrom(failing, 1000))
        .isInstanceOf(BoundedPipe.SourceReadException.class)
        .hasMessage("disk gone");

    pipe.abortReader(new IOException("consumer failed"));
    assertThatThrownBy(() -> pipe.readFrom(new java.io.ByteArrayInputStream(new byte[10]), 1000))
        .isNotInstanceOf(BoundedPipe.SourceReadException.class)
        .hasMessageContaining("test pipe stopped reading: consumer failed");
  }
}
