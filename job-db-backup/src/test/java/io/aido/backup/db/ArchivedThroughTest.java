package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.postgres.wal.Lsn;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ArchivedThroughTest {
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

  @Test
  void through_storedPastSamples_newestCoveredSample() {
    ArchivedThrough through = new ArchivedThrough();
    through.serverAt(T0, new Lsn(100));
    through.serverAt(T0.plusSeconds(60), new Lsn(200));
    through.serverAt(T0.plusSeconds(120), new Lsn(300));

    assertThat(through.through(new Lsn(250))).contains(T0.plusSeconds(60));
    assertThat(through.through(new Lsn(300))).contains(T0.plusSeconds(120));
  }

  @Test
  void through_nothingCovered_empty() {
    ArchivedThrough through = new ArchivedThrough();
    through.serverAt(T0, new Lsn(100));

    assertThat(through.through(new Lsn(99))).isEmpty();
  }

  @Test
  void through_archiverStalls_staysAtTheLastCoveredMoment() {
    ArchivedThrough through = new ArchivedThrough();
    through.serverAt(T0, new Lsn(100));
    assertThat(through.through(new Lsn(100))).contains(T0);
    for (int i = 1; i <= 10; i++) {
      through.serverAt(T0.plusSeconds(60L * i), new Lsn(100 + i));
    }

    assertThat(through.through(new Lsn(100))).contains(T0);
  }

  @Test
  void serverAt_moreThanTheLimit_dropsTheOldestSoTheAnswerIsNeverLater() {
    ArchivedThrough through = new ArchivedThrough();
    for (int i = 0; i < ArchivedThrough.MAX_SAMPLES + 10; i++) {
      through.serverAt(T0.plusSeconds(i), new Lsn(1000 + i));
    }
    // the first ten samples were dropped; storing up to the eleventh answers its moment
    assertThat(through.through(new Lsn(1010))).contains(T0.plusSeconds(10));
  }
}
