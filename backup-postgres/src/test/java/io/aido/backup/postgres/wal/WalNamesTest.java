package io.aido.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.ObjectKey;
import org.junit.jupiter.api.Test;

class WalNamesTest {
  private static final long MB16 = WalSegment.DEFAULT_SIZE;

  @Test
  void lsn_parseAndPrint_roundTrips() {
    assertThat(Lsn.parse("0/16B3748").value()).isEqualTo(0x16B3748L);
    assertThat(Lsn.parse("1A/2000028").toString()).isEqualTo("1A/2000028");
    assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.ZERO);
    assertThat(Lsn.parse("1/0").isAfter(Lsn.parse("0/FFFFFFFF"))).isTrue();
  }

  @Test
  void lsn_notAPosition_throwsNamingIt() {
    for (String bad : new String[] {"", "16B3748", "0/", "/1", "x/1", "100000000/0"}) {
      assertThatThrownBy(() -> Lsn.parse(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void segment_namesAsPostgresDoes() {
    WalSegment s = WalSegment.containing(1, Lsn.parse("0/3000028"), MB16);
    assertThat(s.name()).isEqualTo("000000010000000000000003");
    assertThat(s.start()).isEqualTo(Lsn.parse("0/3000000"));
    assertThat(s.end()).isEqualTo(Lsn.parse("0/4000000"));
    // the second half counts to 0xFF for 16 MiB segments, then the first half goes up
    WalSegment last = WalSegment.containing(2, Lsn.parse("0/FF000000"), MB16);
    assertThat(last.name()).isEqualTo("0000000200000000000000FF");
    assertThat(last.next().name()).isEqualTo("000000020000000100000000");
    assertThat(WalSegment.parse("000000020000000100000000", MB16)).contains(last.next());
  }

  @Test
  void segment_parseOtherNames_empty() {
    assertThat(WalSegment.parse("00000002.history", MB16)).isEmpty();
    assertThat(WalSegment.parse("000000010000000000000100", MB16)).isEmpty();
    assertThat(WalSegment.parse("000000000000000000000001", MB16)).isEmpty();
    assertThatThrownBy(() -> WalSegment.parse("000000010000000000000001", 3_000_000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void archivedWal_wholeAndPartialNames_parseBack() {
    WalSegment s = WalSegment.containing(1, Lsn.parse("0/5000000"), MB16);
    ArchivedWal whole = ArchivedWal.whole(s);
    ArchivedWal partial = ArchivedWal.partial(s, 0x1234);
    assertThat(whole.key().name()).isEqualTo("wal/00000001/000000010000000000000005");
    assertThat(partial.key().name())
        .isEqualTo("wal/00000001/000000010000000000000005.00001234.partial");
    assertThat(ArchivedWal.parse(whole.key(), MB16)).contains(whole);
    assertThat(ArchivedWal.parse(partial.key(), MB16)).contains(partial);
    assertThat(partial.end()).isEqualTo(Lsn.parse("0/5001234"));
    assertThat(partial.compareTo(whole)).isNegative();
  }

  @Test
  void archivedWal_strayNames_ignored() {
    for (String name :
        new String[] {
          "wal/00000001/00000002.history",
          "wal/00000002/000000010000000000000005",
          "wal/00000001/000000010000000000000005.01000000.partial",
          "data/db-base/x/base.tar",
          "wal/00000001/000000010000000000000005.partial"
        }) {
      assertThat(ArchivedWal.parse(ObjectKey.of(name), MB16)).as(name).isEmpty();
    }
    WalSegment s = WalSegment.containing(1, Lsn.ZERO, MB16);
    assertThatThrownBy(() -> ArchivedWal.partial(s, MB16))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
