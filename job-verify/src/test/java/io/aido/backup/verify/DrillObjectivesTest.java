package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The drill's objectives: parsing, and an order that does not change from one run to the next. */
class DrillObjectivesTest {

  @Test
  void rpo_givenInAnyOrder_iteratesInComponentOrderSoReportsAreStable() {
    DrillObjectives o =
        DrillObjectives.parse("2h", List.of("manifests=1d", "dapr=30m", "database=5m"));

    assertThat(o.rpo().keySet()).containsExactly("database", "dapr", "manifests");
    assertThat(o.rpo())
        .containsEntry("database", Duration.ofMinutes(5))
        .containsEntry("dapr", Duration.ofMinutes(30))
        .containsEntry("manifests", Duration.ofDays(1));
    assertThat(o.rto()).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void rpo_mapBuiltElsewhere_keepsComponentOrderAndCannotBeChanged() {
    DrillObjectives o =
        new DrillObjectives(
            Duration.ofHours(1),
            Map.of("manifests", Duration.ofHours(1), "database", Duration.ofMinutes(15)));

    assertThat(o.rpo().keySet()).containsExactly("database", "manifests");
    assertThatThrownBy(() -> o.rpo().put("dapr", Duration.ZERO))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
