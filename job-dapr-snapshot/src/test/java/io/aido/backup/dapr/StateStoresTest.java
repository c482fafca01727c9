package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.config.Secret;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateStoresTest {

  private static DaprComponent component(
      String type, String version, Map<String, String> values, Map<String, Secret> secrets) {
    return new DaprComponent("todo", "store", type, version, values, secrets);
  }

  @Test
  void connectionString_keywordValue_parsedWithoutCredentialsInUrl() {
    PgConnectionString cs =
        PgConnectionString.parse(
            "host=db.svc port=6543 user=dapr password='p w\\'x' dbname=state sslmode=require");

    assertThat(cs.jdbcUrl()).isEqualTo("jdbc:postgresql://db.svc:6543/state");
    assertThat(cs.properties())
        .containsEntry("user", "dapr")
        .containsEntry("password", "p w'x")
        .containsEntry("sslmode", "require");
    assertThat(cs.toString()).doesNotContain("p w'x").contains("db.svc:6543/state");
  }

  @Test
  void connectionString_url_parsedWithDecodedPassword() {
    PgConnectionString cs =
        PgConnectionString.parse("postgres://dapr:s%40cret@db:5432/todo?sslmode=disable");

    assertThat(cs.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/todo");
    assertThat(cs.password()).isEqualTo("s@cret");
    assertThat(cs.server()).isEqualTo("db:5432/todo");
  }

  @Test
  void connectionString_malformed_messageDoesNotQuoteIt() {
    assertThatThrownBy(() -> PgConnectionString.parse("host=db password='unterminated"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the connection string has an unterminated quote");
    assertThatThrownBy(() -> PgConnectionString.parse("justasecretword"))
        .hasMessageNotContaining("justasecretword");
  }

  @Test
  void open_postgresV1AndV2_tablesFromMetadata() {
    Map<String, Secret> conn =
        Map.of("connectionString", Secret.of("host=db password=Xy-1 dbname=d"));

    StateStore v1 =
        StateStores.open(component("state.postgresql", "v1", Map.of("tableName", "s.st"), conn))
            .store()
            .orElseThrow();
    StateStore v2 =
        StateStores.open(component("state.postgresql", "v2", Map.of("tablePrefix", "app_"), conn))
            .store()
            .orElseThrow();

    assertThat(v1.describe()).containsEntry("layout", "v1").containsEntry("table", "s.st");
    assertThat(v2.describe()).containsEntry("layout", "v2").containsEntry("table", "app_state");
    assertThat(v1.toString() + v2).doesNotContain("Xy-1");
  }

  @Test
  void open_unsupportedTypesAndModes_reasonGiven() {
    assertThat(StateStores.open(component("state.mongodb", "v1", Map.of(), Map.of())).unsupported())
        .contains("state.mongodb is not supported yet");
    assertThat(
            StateStores.open(
                    component(
                        "state.redis",
                        "v1",
                        Map.of("redisHost", "r:6379", "redisType", "cluster"),
                        Map.of()))
                .unsupported())
        .contains("cluster");
  }

  @Test
  void open_missingOrBadMetadata_namesComponentAndKey() {
    assertThatThrownBy(
            () -> StateStores.open(component("state.postgresql", "v2", Map.of(), Map.of())))
        .hasMessage(
            "unable to connect state store todo/store: metadata 'connectionString' is not set");
    assertThatThrownBy(
            () ->
                StateStores.open(
                    component(
                        "state.redis", "v1", Map.of("redisHost", "r:1", "redisDB", "x"), Map.of())))
        .hasMessageContaining("metadata 'redisDB' is not a number");
  }

  @Test
  void restoreExpected_fromRecordedCountsPerFilter() {
    KeyCounts c = new KeyCounts();
    c.add(DaprKey.classify("a||k"));
    c.add(DaprKey.classify("a||T||1||k"));
    c.add(DaprKey.classify("b||T||1||k"));
    c.add(DaprKey.classify("actors||T"));

    assertThat(DaprRestorePlan.expected(c, KeyFilter.ALL)).contains(4L);
    assertThat(DaprRestorePlan.expected(c, KeyFilter.of(java.util.List.of("a"), null)))
        .contains(2L);
    assertThat(DaprRestorePlan.expected(c, KeyFilter.of(null, java.util.List.of("T"))))
        .contains(3L);
    assertThat(
            DaprRestorePlan.expected(
                c, KeyFilter.of(java.util.List.of("a"), java.util.List.of("T"))))
        .isEmpty();
  }
}
