package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How {@link DaprDiscovery#resolve} reads Secrets, against fabric8's mock server in expectation
 * mode: the exact requests matter (one get by name per Secret, never a list), and so does the
 * answer of an API server whose RBAC forbids the read.
 */
@EnableKubernetesMockClient
class DaprDiscoveryTest {
  private static final String CONNECTION = "host=db user=dapr password=Disc0very-s3cret";

  KubernetesMockServer server;
  KubernetesClient client;

  private static GenericKubernetesResource component(List<Map<String, Object>> metadata) {
    Map<String, Object> spec = new HashMap<>();
    spec.put("type", "state.postgresql");
    spec.put("version", "v2");
    spec.put("metadata", metadata);
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("dapr.io/v1alpha1")
        .withKind("Component")
        .withNewMetadata()
        .withNamespace("todo")
        .withName("statestore")
        .endMetadata()
        .withAdditionalProperties(new HashMap<>(Map.of("spec", spec)))
        .build();
  }

  private static Map<String, Object> secretRef(String name, String secret, String key) {
    return Map.of("name", name, "secretKeyRef", Map.of("name", secret, "key", key));
  }

  private List<String> requests() throws InterruptedException {
    List<String> seen = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      seen.add(r.getMethod() + " " + r.getPath());
    }
    return seen;
  }

  @Test
  void resolve_twoKeysOfOneSecret_oneGetByNameAndNoList() throws Exception {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/todo/secrets/dapr-statestore")
        .andReturn(
            200,
            new SecretBuilder()
                .withNewMetadata()
                .withName("dapr-statestore")
                .withNamespace("todo")
                .endMetadata()
                .addToData(
                    "connectionString",
                    Base64.getEncoder().encodeToString(CONNECTION.getBytes(StandardCharsets.UTF_8)))
                .addToData("prefix", Base64.getEncoder().encodeToString("app_".getBytes()))
                .build())
        .always();

    DaprDiscovery.Resolution resolution =
        new DaprDiscovery(client)
            .resolve(
                component(
                    List.of(
                        secretRef("connectionString", "dapr-statestore", "connectionString"),
                        secretRef("tablePrefix", "dapr-statestore", "prefix"),
                        Map.of("name", "actorStateStore", "value", "true"))));

    assertThat(resolution.unsupported()).isNull();
    assertThat(resolution.component().value("connectionString")).contains(CONNECTION);
    assertThat(resolution.component().value("tablePrefix")).contains("app_");
    assertThat(requests()).containsExactly("GET /api/v1/namespaces/todo/secrets/dapr-statestore");
  }

  @Test
  void resolve_secretForbiddenByRbac_messageNamesSecretNamespaceAndRole() throws Exception {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/todo/secrets/pg-conn")
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withReason("Forbidden")
                .withCode(403)
                .withMessage(
                    "secrets \"pg-conn\" is forbidden: User"
                        + " \"system:serviceaccount:aido-backup:dapr-snapshot\" cannot get"
                        + " resource \"secrets\" in API group \"\" in the namespace \"todo\"")
                .build())
        .always();
    DaprDiscovery discovery = new DaprDiscovery(client);
    GenericKubernetesResource c =
        component(List.of(secretRef("connectionString", "pg-conn", "connectionString")));

    assertThatThrownBy(() -> discovery.resolve(c))
        .hasMessageStartingWith(
            "unable to read metadata 'connectionString' of Component todo/statestore:"
                + " Secret todo/pg-conn: forbidden: this identity may not get Secret 'pg-conn'"
                + " in namespace todo")
        .hasMessageContaining(
            "resourceNames of Role aido-backup-dapr-snapshot-secrets in namespace todo")
        .hasMessageContaining("system:serviceaccount:aido-backup:dapr-snapshot")
        .hasMessageNotContaining("Failure executing");
    assertThat(requests()).containsExactly("GET /api/v1/namespaces/todo/secrets/pg-conn");
  }

  @Test
  void resolve_secretLacksTheKey_messageNamesKeyNotValues() {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/todo/secrets/pg-conn")
        .andReturn(
            200,
            new SecretBuilder()
                .withNewMetadata()
                .withName("pg-conn")
                .endMetadata()
                .addToData(
                    "other",
                    Base64.getEncoder().encodeToString(CONNECTION.getBytes(StandardCharsets.UTF_8)))
                .build())
        .always();
    DaprDiscovery discovery = new DaprDiscovery(client);
    GenericKubernetesResource c =
        component(List.of(secretRef("connectionString", "pg-conn", "connectionString")));

    assertThatThrownBy(() -> discovery.resolve(c))
        .hasMessageContaining("Secret todo/pg-conn: it has no key 'connectionString'")
        .hasMessageNotContaining("Disc0very");
  }
}
