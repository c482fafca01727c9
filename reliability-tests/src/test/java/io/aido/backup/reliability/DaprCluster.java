package io.aido.backup.reliability;

import io.aido.backup.testing.PgCluster;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * A Kubernetes API (fabric8's mock server in CRUD mode: no API server runs on the build machine)
 * that serves Dapr's kinds and one Component, a PostgreSQL v2 state store in a real database with
 * its Secret: what {@code snapshot} needs to run as in a cluster. The table DDL is Dapr's own
 * (components-contrib {@code state/postgresql/v2}).
 */
final class DaprCluster implements AutoCloseable {
  static final String NAMESPACE = "todo";

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private DaprCluster(PgCluster pg, String password, int rows) {
    pg.createDatabase("daprv2");
    pg.psql(
        "daprv2",
        "CREATE TABLE dapr_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);"
            + "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag uuid"
            + " NOT NULL DEFAULT gen_random_uuid(), created_at timestamp with time zone NOT NULL"
            + " DEFAULT now(), updated_at timestamp with time zone, expires_at timestamp with time"
            + " zone); CREATE INDEX ON state (expires_at);"
            + "INSERT INTO dapr_metadata VALUES ('migrations-state-v2-', '1');"
            + "INSERT INTO state (key, value) SELECT 'todo-app||TodoActor||' || i || '||todos',"
            + " decode(repeat(md5(i::text), 16), 'hex') FROM generate_series(1, "
            + rows
            + ") i;");
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    client = server.createClient();
    registerDaprKinds();
    putSecret(
        "pg-conn",
        "connectionString",
        "host="
            + pg.host()
            + " port="
            + pg.port()
            + " user=postgres password='"
            + password
            + "' dbname=daprv2 sslmode=disable");
    putComponent(
        "pgstate",
        "state.postgresql",
        "v2",
        List.of(
            Map.of(
                "name",
                "connectionString",
                "secretKeyRef",
                Map.of("name", "pg-conn", "key", "connectionString"))));
  }

  /** Creates or replaces Secret {@code name} of {@link #NAMESPACE} with one key. */
  void putSecret(String name, String key, String value) {
    client.secrets().inNamespace(NAMESPACE).withName(name).delete();
    client
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToData(
                    key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
  }

  /** Creates or replaces Dapr Component {@code name} of {@link #NAMESPACE}. */
  void putComponent(String name, String type, String version, List<Map<String, Object>> metadata) {
    GenericKubernetesResource component =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("dapr.io/v1alpha1")
            .withKind("Component")
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .endMetadata()
            .withAdditionalProperties(
                new HashMap<>(
                    Map.of("spec", Map.of("type", type, "version", version, "metadata", metadata))))
            .build();
    client.resource(component).delete();
    client.resource(component).create();
  }

  /** Creates the state store's database and table in {@code pg} and starts the API. */
  static DaprCluster start(PgCluster pg, String password, int rows) {
    return new DaprCluster(pg, password, rows);
  }

  /** What {@code snapshot} needs to find this cluster. */
  Map<String, String> env() {
    return Map.of(
        "BACKUP_KUBERNETES_URL", client.getMasterUrl().toString(), "BACKUP_NAMESPACE", NAMESPACE);
  }

  /** Dapr's kinds and the group's discovery document, as an API server with Dapr's CRDs serves. */
  private void registerDaprKinds() {
    server
        .expect()
        .get()
        .withPath("/apis/dapr.io")
        .andReturn(
            200,
            new APIGroupBuilder()
                .withName("dapr.io")
                .addNewVersion()
                .withGroupVersion("dapr.io/v2alpha1")
                .withVersion("v2alpha1")
                .endVersion()
                .addNewVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endVersion()
                .withNewPreferredVersion()
                .withGroupVersion("dapr.io/v2alpha1")
                .withVersion("v2alpha1")
                .endPreferredVersion()
                .build())
        .always();
    for (String[] k :
        new String[][] {
          {"v1alpha1", "Component", "components"},
          {"v1alpha1", "Configuration", "configurations"},
          {"v2alpha1", "Subscription", "subscriptions"},
          {"v1alpha1", "Subscription", "subscriptions"},
          {"v1alpha1", "Resiliency", "resiliencies"},
          {"v1alpha1", "HTTPEndpoint", "httpendpoints"}
        }) {
      server.expectCustomResource(
          new CustomResourceDefinitionContext.Builder()
              .withGroup("dapr.io")
              .withVersion(k[0])
              .withKind(k[1])
              .withPlural(k[2])
              .withScope("Namespaced")
              .build());
    }
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
