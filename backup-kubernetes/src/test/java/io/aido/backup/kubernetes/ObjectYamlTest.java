package io.aido.backup.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ObjectYamlTest {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static GenericKubernetesResource parse(String text) {
    return SERIALIZATION.unmarshal(text, GenericKubernetesResource.class);
  }

  @Test
  void write_sameObjectInAnotherFieldOrder_sameBytes() {
    byte[] a =
        ObjectYaml.write(
            parse(
                """
                {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","labels":{"z":"1","a":"2"}},
                 "data":{"b":"x","a":"y"},"binaryData":{}}
                """));
    byte[] b =
        ObjectYaml.write(
            parse(
                """
                {"data":{"a":"y","b":"x"},"metadata":{"labels":{"a":"2","z":"1"},"name":"c"},
                 "apiVersion":"v1","binaryData":{},"kind":"ConfigMap"}
                """));

    assertThat(a).isEqualTo(b);
    assertThat(new String(a, StandardCharsets.UTF_8))
        .startsWith("apiVersion: \"v1\"\nkind: \"ConfigMap\"\nmetadata:\n");
  }

  @Test
  void write_nestedKind_sortedLikeAnyOtherKey() {
    String yaml =
        new String(
            ObjectYaml.write(
                parse(
                    """
                    {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
                     "metadata":{"name":"r"},
                     "roleRef":{"name":"x","kind":"ClusterRole","apiGroup":"rbac.authorization.k8s.io"}}
                    """)),
            StandardCharsets.UTF_8);

    assertThat(yaml)
        .contains(
            "roleRef:\n  apiGroup: \"rbac.authorization.k8s.io\"\n  kind: \"ClusterRole\"\n  name:");
  }

  @Test
  void readWrite_stringsThatLookLikeOtherTypes_stayStrings() throws Exception {
    GenericKubernetesResource object =
        parse(
            """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},
             "data":{"yes":"yes","octal":"0755","float":"1e3","null":"null","n":"8080"}}
            """);

    GenericKubernetesResource again = ObjectYaml.read(ObjectYaml.write(object));

    assertThat(again.<String>get("data", "yes")).isEqualTo("yes");
    assertThat(again.<String>get("data", "octal")).isEqualTo("0755");
    assertThat(again.<String>get("data", "float")).isEqualTo("1e3");
    assertThat(again.<String>get("data", "null")).isEqualTo("null");
    assertThat(again.<String>get("data", "n")).isEqualTo("8080");
    assertThat(ObjectYaml.write(again)).isEqualTo(ObjectYaml.write(object));
  }

  @Test
  void read_notAMapping_throws() {
    assertThatIOException()
        .isThrownBy(() -> ObjectYaml.read("- a\n- b\n".getBytes(StandardCharsets.UTF_8)))
        .withMessage("not a YAML mapping");
  }
}
