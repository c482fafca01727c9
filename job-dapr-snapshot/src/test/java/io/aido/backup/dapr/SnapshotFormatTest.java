package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotFormatTest {

  private static final StateEntry FULL =
      new StateEntry(
          "app||k".getBytes(StandardCharsets.UTF_8),
          new byte[] {0, (byte) 0xff, 7},
          "a1b2",
          true,
          Instant.parse("2026-11-24T10:00:00.123456Z"),
          Instant.parse("1999-12-31T23:59:59.999999Z"),
          null,
          Map.of("first-write", new byte[] {'0'}));
  private static final StateEntry BARE =
      new StateEntry(new byte[] {(byte) 0xc3}, new byte[0], null, false, null, null, null, null);

  private static byte[] write(StateEntry... entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnapshotFormat.Writer w = new SnapshotFormat.Writer(out, Map.of("type", "t", "n", 1))) {
      for (StateEntry e : entries) {
        w.write(e);
      }
      w.finish();
    }
    return out.toByteArray();
  }

  private static List<StateEntry> read(byte[] bytes) throws IOException {
    List<StateEntry> entries = new ArrayList<>();
    try (SnapshotFormat.Reader r =
        new SnapshotFormat.Reader(new ByteArrayInputStream(bytes), "p")) {
      for (StateEntry e = r.next(); e != null; e = r.next()) {
        entries.add(e);
      }
      assertThat(r.next()).isNull();
    }
    return entries;
  }

  @Test
  void writeRead_everyFieldRoundTrips_microsecondTimes() throws IOException {
    byte[] bytes = write(FULL, BARE);

    assertThat(read(bytes)).containsExactly(FULL, BARE);
    try (SnapshotFormat.Reader r =
        new SnapshotFormat.Reader(new ByteArrayInputStream(bytes), "p")) {
      assertThat(r.header()).containsEntry("type", "t").containsEntry("n", 1);
      assertThat(r.version()).isEqualTo(SnapshotFormat.VERSION);
    }
  }

  @Test
  void read_empty_noEntries() throws IOException {
    assertThat(read(write())).isEmpty();
  }

  @Test
  void read_everyTruncation_failsAsTruncatedOrOutOfRange() throws IOException {
    byte[] bytes = write(FULL, BARE);
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] part = Arrays.copyOf(bytes, cut);
      assertThatThrownBy(() -> read(part)).as("cut at %d", cut).isInstanceOf(IOException.class);
    }
  }

  @Test
  void read_unfinishedWriter_readsAsTruncated() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnapshotFormat.Writer w = new SnapshotFormat.Writer(out, Map.of())) {
      w.write(FULL);
    }

    assertThatThrownBy(() -> read(out.toByteArray()))
        .isInstanceOf(IOException.class)
        .hasMessage("p is truncated: it ends after 1 entries without its end record");
  }

  @Test
  void read_wrongMagicOrNewerVersion_refused() throws IOException {
    byte[] bytes = write(FULL);
    byte[] magic = bytes.clone();
    magic[0] = 'X';
    byte[] newer = bytes.clone();
    newer[SnapshotFormat.MAGIC.length + 1] = 9;

    assertThatThrownBy(() -> read(magic)).hasMessageContaining("not a Dapr state snapshot");
    assertThatThrownBy(() -> read(newer))
        .hasMessageContaining("of format 9; this tool reads up to 1");
  }

  @Test
  void read_endCountDiffers_refused() throws IOException {
    byte[] bytes = write(FULL);
    bytes[bytes.length - 1] = 5;

    assertThatThrownBy(() -> read(bytes)).hasMessage("p: end record counts 5 entries, 1 were read");
  }
}
