package io.aido.backup.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import io.aido.backup.kubernetes.ObjectYaml;
import io.aido.backup.kubernetes.manifests.HelmRelease;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelmReleaseTest {
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private static String releaseField(int revision) {
    GenericKubernetesResource secret =
        new KubernetesSerialization()
            .unmarshal(TodoCluster.helmRelease(revision), GenericKubernetesResource.class);
    return secret.<Map<String, String>>get("data").get("release");
  }

  @Test
  void decode_gzippedRelease_valuesAndFacts() throws Exception {
    HelmRelease release = HelmRelease.decode(releaseField(2));

    assertThat(release.name()).isEqualTo("todo");
    assertThat(release.namespace()).isEqualTo("todo");
    assertThat(release.revision()).isEqualTo(2);
    assertThat(release.chartName()).isEqualTo("todo-chart");
    assertThat(release.chartVersion()).isEqualTo("1.2.0");
    assertThat(release.appVersion()).isEqualTo("2.0.2");
    assertThat(release.status()).isEqualTo("superseded");
    assertThat(release.values().path("replicas").asInt()).isEqualTo(2);
    assertThat(new String(release.valuesYaml(), StandardCharsets.UTF_8))
        .contains("replicas: 2")
        .doesNotContain("image");
    assertThat(new String(release.releaseYaml(), StandardCharsets.UTF_8))
        .contains("chart: \"todo-chart\"")
        .contains("status: \"superseded\"");
  }

  @Test
  void decode_uncompressedJsonAndNoConfig_emptyValues() throws Exception {
    String json = "{\"name\":\"r\",\"version\":7,\"info\":{\"status\":\"failed\"}}";
    String helm = B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    String field = B64.encodeToString(helm.getBytes(StandardCharsets.UTF_8));

    HelmRelease release = HelmRelease.decode(field);

    assertThat(release.revision()).isEqualTo(7);
    assertThat(release.status()).isEqualTo("failed");
    assertThat(release.values().isEmpty()).isTrue();
    assertThat(ObjectYaml.writeValue(release.values())).isEqualTo("{}\n".getBytes());
  }

  @Test
  void valuesYaml_nullValues_keptBecauseTheyRemoveChartDefaults() throws Exception {
    String json =
        "{\"name\":\"r\",\"version\":1,\"config\":{\"resources\":{\"limits\":null},"
            + "\"tolerations\":[null,\"a\"],\"replicas\":3}}";
    String helm = B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    String field = B64.encodeToString(helm.getBytes(StandardCharsets.UTF_8));

    String yaml = new String(HelmRelease.decode(field).valuesYaml(), StandardCharsets.UTF_8);

    assertThat(yaml).contains("limits: null").contains("- null").contains("replicas: 3");
    assertThat(
            new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(yaml)
                .path("resources")
                .has("limits"))
        .isTrue();
  }

  @Test
  void decode_notBase64_throwsWithoutQuotingTheContent() {
    assertThatIOException()
        .isThrownBy(() -> HelmRelease.decode("%%% secret-ish %%%"))
        .withMessage("the release field is not base64 inside base64");
  }

  @Test
  void decode_brokenGzip_throwsWithoutQuotingTheContent() {
    byte[] broken = {(byte) 0x1f, (byte) 0x8b, 1, 2, 3};
    String field = B64.encodeToString(B64.encode(broken));

    assertThatIOException()
        .isThrownBy(() -> HelmRelease.decode(field))
        .withMessageContaining("does not unpack to JSON");
  }

  @Test
  void decode_jsonWithoutName_throws() {
    String helm = B64.encodeToString("{\"version\":1}".getBytes(StandardCharsets.UTF_8));
    String field = B64.encodeToString(helm.getBytes(StandardCharsets.UTF_8));

    assertThatIOException()
        .isThrownBy(() -> HelmRelease.decode(field))
        .withMessage("the release JSON has no name");
  }
}
