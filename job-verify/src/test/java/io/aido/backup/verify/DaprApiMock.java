package io.aido.backup.verify;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

/** The dapr.io API group on fabric8's mock server, so a Dapr snapshot can list Components. */
final class DaprApiMock {
  private DaprApiMock() {}

  /** Serves group dapr.io (version v1alpha1) and its namespaced Component resource. */
  static void serve(KubernetesMockServer server) {
    server
        .expect()
        .get()
        .withPath("/apis/dapr.io")
        .andReturn(
            200,
            new APIGroupBuilder()
                .withName("dapr.io")
                .addNewVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endVersion()
                .withNewPreferredVersion()
                .withGroupVersion("dapr.io/v1alpha1")
                .withVersion("v1alpha1")
                .endPreferredVersion()
                .build())
        .always();
    server.expectCustomResource(
        new CustomResourceDefinitionContext.Builder()
            .withGroup("dapr.io")
            .withVersion("v1alpha1")
            .withKind("Component")
            .withPlural("components")
            .withScope("Namespaced")
            .build());
  }
}
