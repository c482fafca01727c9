package io.aido.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WalChainTest {
  private static final long SIZE = 1 << 20;

  private static WalSegment seg(int timeline, long segno) {
    return new WalSegment(timeline, segno, SIZE);
  }

  private static ArchivedWal whole(long segno) {
    return ArchivedWal.whole(seg(1, segno));
  }

  private static ArchivedWal partial(long segno, long bytes) {
    return ArchivedWal.partial(seg(1, segno), bytes);
  }

  @Test
  void gaps_unbrokenChainWithPartialAtEnd_none() {
    WalChain chain = WalChain.of(List.of(whole(3), whole(4), partial(5, 100), whole(2)));
    assertThat(chain.gaps()).isEmpty();
    assertThat(chain.runFrom(seg(1, 2))).hasSize(4);
    assertThat(chain.reachableFrom(seg(1, 2))).contains(seg(1, 5).start().plus(100));
    assertThat(chain.newestWhole(1)).contains(seg(1, 4));
  }

  @Test
  void gaps_missingSegment_reportedWithPositions() {
    WalChain chain = WalChain.of(List.of(whole(2), whole(3), whole(6)));
    assertThat(chain.gaps())
        .containsExactly(new WalChain.Gap(1, seg(1, 4).start(), seg(1, 6).start()));
    assertThat(chain.gaps().get(0).describe())
        .startsWith("point-in-time recovery is impossible between 0/400000 and 0/600000");
    assertThat(chain.runFrom(seg(1, 2))).hasSize(2);
    assertThat(chain.runFrom(seg(1, 4))).isEmpty();
  }

  @Test
  void gaps_partialFollowedByLaterSegments_isAGap() {
    WalChain chain = WalChain.of(List.of(whole(2), partial(3, 4096), whole(4)));
    assertThat(chain.gaps())
        .containsExactly(new WalChain.Gap(1, seg(1, 3).start().plus(4096), seg(1, 4).start()));
    assertThat(chain.runFrom(seg(1, 2))).hasSize(2);
  }

  @Test
  void best_wholeBeatsPartials_longerPartialBeatsShorter() {
    ArchivedWal shortP = partial(3, 10);
    ArchivedWal longP = partial(3, 20);
    WalChain partials = WalChain.of(List.of(longP, shortP));
    assertThat(partials.segments(1)).containsExactly(longP);
    assertThat(partials.superseded()).containsExactly(shortP);
    WalChain withWhole = WalChain.of(List.of(longP, whole(3), shortP));
    assertThat(withWhole.segments(1)).containsExactly(whole(3));
    assertThat(withWhole.superseded()).containsExactlyInAnyOrder(shortP, longP);
  }

  @Test
  void expendable_beforeOldestBaseAndSuperseded_only() {
    ArchivedWal shortP = partial(6, 10);
    WalChain chain =
        WalChain.of(
            List.of(
                whole(2),
                whole(3),
                whole(4),
                whole(5),
                shortP,
                partial(6, 30),
                ArchivedWal.whole(seg(2, 3))));
    // oldest base starts inside segment 4: 4 and later stay, so do later timelines' later WAL
    List<ArchivedWal> gone = chain.expendable(seg(1, 4).start().plus(28));
    assertThat(gone)
        .containsExactlyInAnyOrder(whole(2), whole(3), shortP, ArchivedWal.whole(seg(2, 3)));
  }

  @Test
  void timelines_keptApart() {
    WalChain chain = WalChain.of(List.of(whole(2), ArchivedWal.whole(seg(2, 4))));
    assertThat(chain.timelines()).containsExactly(1, 2);
    assertThat(chain.gaps()).isEmpty();
    assertThat(chain.end(2)).contains(seg(2, 5).start());
    assertThat(chain.end(3)).isEmpty();
  }
}
