package io.aido.backup.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceTest {

  @Test
  void describe_databaseOnly_namesTheDatabase() {
    assertThat(Source.database("todo", "15.20").describe()).isEqualTo("todo");
  }

  @Test
  void describe_allParts_joinsThemInOrder() {
    assertThat(new Source("prod", "todo-app", "todo", null, Map.of()).describe())
        .isEqualTo("prod/todo-app/todo");
  }

  @Test
  void describe_nothingSet_isADash() {
    assertThat(new Source(null, "", null, null, null).describe()).isEqualTo("-");
  }

  @Test
  void key_differsWhereDescribeWouldNot_soGroupsStayApart() {
    assertThat(new Source("a", null, "b", null, null).key())
        .isNotEqualTo(new Source(null, "a", "b", null, null).key());
  }
}
