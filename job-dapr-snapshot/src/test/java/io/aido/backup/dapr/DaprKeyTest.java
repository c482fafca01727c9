package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.dapr.DaprKey.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaprKeyTest {

  @Test
  void classify_daprKeyScheme() {
    assertThat(DaprKey.classify("todo||cart")).isEqualTo(new DaprKey(Kind.STATE, "todo", null));
    assertThat(DaprKey.classify("todo||TodoActor||42||items"))
        .isEqualTo(new DaprKey(Kind.ACTOR, "todo", "TodoActor"));
    assertThat(DaprKey.classify("actors||TodoActor"))
        .isEqualTo(new DaprKey(Kind.REMINDER, null, "TodoActor"));
    assertThat(DaprKey.classify("actors||TodoActor||metadata"))
        .isEqualTo(new DaprKey(Kind.REMINDER, null, "TodoActor"));
    assertThat(DaprKey.classify("plain")).isEqualTo(new DaprKey(Kind.OTHER, null, null));
    assertThat(DaprKey.classify("||x")).isEqualTo(new DaprKey(Kind.OTHER, null, null));
    assertThat(DaprKey.classify(DaprKey.actorKey("a", "T", "i", "k")).kind()).isEqualTo(Kind.ACTOR);
    assertThat(DaprKey.classify(DaprKey.stateKey("a", "k")).appId()).isEqualTo("a");
  }

  @Test
  void filter_appAndActorType() {
    KeyFilter app = KeyFilter.of(List.of("todo"), null);
    KeyFilter type = KeyFilter.of(null, List.of("TodoActor"));
    KeyFilter both = KeyFilter.of(List.of("todo"), List.of("TodoActor"));

    assertThat(app.matches("todo||cart")).isTrue();
    assertThat(app.matches("todo||TodoActor||1||x")).isTrue();
    assertThat(app.matches("chat||cart")).isFalse();
    assertThat(app.matches("actors||TodoActor")).isFalse();
    assertThat(type.matches("todo||TodoActor||1||x")).isTrue();
    assertThat(type.matches("actors||TodoActor")).isTrue();
    assertThat(type.matches("todo||cart")).isFalse();
    assertThat(type.matches("todo||Other||1||x")).isFalse();
    assertThat(both.matches("todo||TodoActor||1||x")).isTrue();
    assertThat(both.matches("chat||TodoActor||1||x")).isFalse();
    assertThat(both.matches("actors||TodoActor")).isFalse();
    assertThat(KeyFilter.ALL.matches("anything")).isTrue();
  }

  @Test
  void counts_factsRoundTrip() {
    KeyCounts c = new KeyCounts();
    c.add(DaprKey.classify("todo||a"));
    c.add(DaprKey.classify("todo||T||1||a"));
    c.add(DaprKey.classify("actors||T"));

    KeyCounts back = KeyCounts.fromFacts(c.facts());

    assertThat(back).isEqualTo(c);
    assertThat(back.byActorType()).containsEntry("T", 2L);
    assertThat(back.byApp()).containsEntry("todo", 2L);
  }
}
