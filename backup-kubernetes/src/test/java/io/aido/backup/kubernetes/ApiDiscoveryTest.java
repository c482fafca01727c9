package io.aido.backup.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Discovery against fabric8's mock server in expectation mode, answering the discovery endpoints as
 * an API server would (no real API server can run on the build machine).
 */
@EnableKubernetesMockClient
class ApiDiscoveryTest {
  KubernetesMockServer server;
  KubernetesClient client;

  private static APIResourceListBuilder resources(String groupVersion) {
    return new APIResourceListBuilder().withGroupVersion(groupVersion);
  }

  private void serve() {
    server
        .expect()
        .get()
        .withPath("/api/v1")
        .andReturn(
            200,
            resources("v1")
                .addNewResource()
                .withName("configmaps")
                .withKind("ConfigMap")
                .withNamespaced(true)
                .withVerbs("create", "get", "list")
                .endResource()
                .addNewResource()
                .withName("pods/log")
                .withKind("Pod")
                .withNamespaced(true)
                .withVerbs("get")
                .endResource()
                .addNewResource()
                .withName("namespaces")
                .withKind("Namespace")
                .withNamespaced(false)
                .withVerbs("create", "get", "list")
                .endResource()
                .build())
        .always();
    server
        .expect()
        .get()
        .withPath("/apis")
        .andReturn(
            200,
            new APIGroupListBuilder()
                .addToGroups(
                    new APIGroupBuilder()
                        .withName("example.com")
                        .withVersions(
                            new GroupVersionForDiscoveryBuilder()
                                .withGroupVersion("example.com/v2")
                                .withVersion("v2")
                                .build(),
                            new GroupVersionForDiscoveryBuilder()
                                .withGroupVersion("example.com/v1")
                                .withVersion("v1")
                                .build())
                        .withNewPreferredVersion()
                        .withGroupVersion("example.com/v1")
                        .withVersion("v1")
                        .endPreferredVersion()
                        .build(),
                    new APIGroupBuilder()
                        .withName("metrics.k8s.io")
                        .withNewPreferredVersion()
                        .withGroupVersion("metrics.k8s.io/v1beta1")
                        .withVersion("v1beta1")
                        .endPreferredVersion()
                        .build())
                .build())
        .always();
    server
        .expect()
        .get()
        .withPath("/apis/example.com/v1")
        .andReturn(
            200,
            resources("example.com/v1")
                .addNewResource()
                .withName("widgets")
                .withKind("Widget")
                .withNamespaced(true)
                .withVerbs("create", "get", "list", "patch")
                .endResource()
                .addNewResource()
                .withName("widgets/status")
                .withKind("Widget")
                .withNamespaced(true)
                .withVerbs("get", "patch")
                .endResource()
                .build())
        .always();
    // gone between the two requests (a removed CRD or APIService)
    server.expect().get().withPath("/apis/metrics.k8s.io/v1beta1").andReturn(404, "").always();
  }

  @Test
  void discover_preferredVersionsWithoutSubresources_unavailableGroupReported() {
    serve();

    ApiDiscovery.Result result = ApiDiscovery.discover(client);

    assertThat(result.types())
        .extracting(ResourceType::qualifiedKind, ResourceType::apiVersion, ResourceType::plural)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("ConfigMap", "v1", "configmaps"),
            org.assertj.core.groups.Tuple.tuple("Namespace", "v1", "namespaces"),
            org.assertj.core.groups.Tuple.tuple("Widget.example.com", "example.com/v1", "widgets"));
    assertThat(result.unavailable()).containsExactly("metrics.k8s.io/v1beta1");
    ResourceType widget = result.types().get(2);
    assertThat(widget.namespaced()).isTrue();
    assertThat(widget.allows("list", "get", "create")).isTrue();
    assertThat(widget.matches("widget")).isTrue();
    assertThat(widget.matches("Widget.example.com")).isTrue();
    assertThat(widget.matches("Widget.other.io")).isFalse();
    assertThat(result.types().get(0).matches("ConfigMap.core")).isTrue();
    assertThat(result.types().get(1).namespaced()).isFalse();
    assertThat(List.of(widget.context().getPlural(), widget.context().getGroup()))
        .containsExactly("widgets", "example.com");
  }
}
