package io.aido.backup.kubernetes.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.kubernetes.ObjectYaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a manifests restore does with each object, decided without a server. */
class ManifestRestorePlanTest {
  private static final String TYPES =
      """
      [{"group":"","version":"v1","kind":"Namespace","plural":"namespaces","namespaced":false},
       {"group":"apiextensions.k8s.io","version":"v1","kind":"CustomResourceDefinition",
        "plural":"customresourcedefinitions","namespaced":false},
       {"group":"","version":"v1","kind":"ConfigMap","plural":"configmaps","namespaced":true},
       {"group":"rbac.authorization.k8s.io","version":"v1","kind":"ClusterRoleBinding",
        "plural":"clusterrolebindings","namespaced":false},
       {"group":"rbac.authorization.k8s.io","version":"v1","kind":"RoleBinding",
        "plural":"rolebindings","namespaced":true}]
      """;

  private ManifestRestorePlan plan;

  @BeforeEach
  void types() throws Exception {
    plan = new ManifestRestorePlan(List.of(), Map.of());
    plan.types(new ObjectMapper().readTree(TYPES));
  }

  @Test
  void next_firstObjectAfterTheCrds_awaitsThemOnceAndWarnsOutOfOrder() throws Exception {
    ManifestRestorePlan.Step ns = plan.next(object("v1", "Namespace", null, "todo"));
    ManifestRestorePlan.Step crd =
        plan.next(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, "x.io"));
    ManifestRestorePlan.Step cm = plan.next(object("v1", "ConfigMap", "todo", "app"));
    ManifestRestorePlan.Step cm2 = plan.next(object("v1", "ConfigMap", "todo", "other"));
    ManifestRestorePlan.Step late = plan.next(object("v1", "Namespace", null, "late"));

    assertThat(List.of(ns, crd, cm, cm2, late))
        .extracting(ManifestRestorePlan.Step::action)
        .containsOnly(ManifestRestorePlan.Action.APPLY);
    assertThat(List.of(ns, crd, cm, cm2, late))
        .extracting(ManifestRestorePlan.Step::awaitCrdsFirst)
        .containsExactly(false, false, true, false, false);
    assertThat(cm.label()).isEqualTo("ConfigMap todo/app");
    assertThat(cm2.warning()).isNull();
    assertThat(late.warning())
        .isEqualTo("Namespace late comes after objects of a later rank; applied in archive order");
  }

  @Test
  void next_unknownType_failsNamingWhy() throws Exception {
    ManifestRestorePlan.Step step = plan.next(object("apps/v1", "Deployment", "todo", "web"));

    assertThat(step.action()).isEqualTo(ManifestRestorePlan.Action.FAIL);
    assertThat(step.label()).isEqualTo("Deployment.apps todo/web");
    assertThat(step.reason()).isEqualTo("its type is not in the archive's types.json");
  }

  @Test
  void next_toolkitObject_isSkippedAsInstalledFromK8s() throws Exception {
    GenericKubernetesResource cm = object("v1", "ConfigMap", "aido-backup", "settings");
    cm.getMetadata().setLabels(Map.of("app.kubernetes.io/part-of", "aido-backup"));

    ManifestRestorePlan.Step step = plan.next(cm);

    assertThat(step.action()).isEqualTo(ManifestRestorePlan.Action.SKIP_TOOLKIT);
    assertThat(step.reason()).isEqualTo("the backup toolkit's own object, installed from k8s/");
  }

  @Test
  void next_namespacesGiven_leavesOthersAndClusterScoped() throws Exception {
    plan = new ManifestRestorePlan(List.of("todo"), Map.of());
    plan.types(new ObjectMapper().readTree(TYPES));

    assertThat(plan.next(object("v1", "Namespace", null, "todo")).action())
        .isEqualTo(ManifestRestorePlan.Action.APPLY);
    assertThat(plan.next(object("v1", "Namespace", null, "other")).action())
        .isEqualTo(ManifestRestorePlan.Action.LEAVE);
    assertThat(
            plan.next(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, "x.io"))
                .action())
        .isEqualTo(ManifestRestorePlan.Action.LEAVE);
    assertThat(plan.next(object("v1", "ConfigMap", "other", "app")).action())
        .isEqualTo(ManifestRestorePlan.Action.LEAVE);
    assertThat(plan.next(object("v1", "ConfigMap", "todo", "app")).action())
        .isEqualTo(ManifestRestorePlan.Action.APPLY);
  }

  @Test
  void next_namespaceMap_movesNamespaceObjectsAndTheirSubjects() throws Exception {
    plan = new ManifestRestorePlan(List.of(), Map.of("todo", "todo-copy"));
    plan.types(new ObjectMapper().readTree(TYPES));
    GenericKubernetesResource ns = object("v1", "Namespace", null, "todo");
    ns.getMetadata()
        .setLabels(new java.util.HashMap<>(Map.of("kubernetes.io/metadata.name", "todo")));
    GenericKubernetesResource binding = binding("RoleBinding", "todo");

    ManifestRestorePlan.Step nsStep = plan.next(ns);
    ManifestRestorePlan.Step bindingStep = plan.next(binding);

    assertThat(nsStep.label()).isEqualTo("Namespace todo-copy");
    assertThat(ns.getMetadata().getLabels())
        .containsEntry("kubernetes.io/metadata.name", "todo-copy");
    assertThat(bindingStep.action()).isEqualTo(ManifestRestorePlan.Action.APPLY);
    assertThat(bindingStep.label())
        .isEqualTo("RoleBinding.rbac.authorization.k8s.io todo-copy/app");
    assertThat(binding.getAdditionalProperties().get("subjects"))
        .isEqualTo(
            List.of(Map.of("kind", "ServiceAccount", "name", "app", "namespace", "todo-copy")));
  }

  @Test
  void next_namespaceMap_skipsTheOriginalsBindingThatNamesMovedSubjects() throws Exception {
    plan = new ManifestRestorePlan(List.of(), Map.of("todo", "todo-copy"));
    plan.types(new ObjectMapper().readTree(TYPES));
    GenericKubernetesResource binding = binding("ClusterRoleBinding", null);

    ManifestRestorePlan.Step step = plan.next(binding);

    assertThat(step.action()).isEqualTo(ManifestRestorePlan.Action.SKIP);
    assertThat(step.reason())
        .startsWith("it stays the original's own object but names subjects of namespace 'todo'");
    assertThat(binding.getAdditionalProperties().get("subjects"))
        .isEqualTo(List.of(Map.of("kind", "ServiceAccount", "name", "app", "namespace", "todo")));
  }

  @Test
  void isObject_onlyNamespacedAndClusterEntries() {
    assertThat(ManifestRestorePlan.isObject("namespaces/todo/v1/ConfigMap/app.yaml")).isTrue();
    assertThat(ManifestRestorePlan.isObject("cluster/v1/Namespace/todo.yaml")).isTrue();
    assertThat(ManifestRestorePlan.isObject("helm/todo/todo/values.yaml")).isFalse();
  }

  private static GenericKubernetesResource binding(String kind, String namespace) throws Exception {
    return ObjectYaml.read(
        ("apiVersion: rbac.authorization.k8s.io/v1\n"
                + "kind: "
                + kind
                + "\n"
                + "metadata: {name: app"
                + (namespace == null ? "" : ", namespace: " + namespace)
                + "}\n"
                + "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
                + "subjects: [{kind: ServiceAccount, name: app, namespace: todo}]\n")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static GenericKubernetesResource object(
      String apiVersion, String kind, String namespace, String name) throws Exception {
    return ObjectYaml.read(
        ("apiVersion: "
                + apiVersion
                + "\nkind: "
                + kind
                + "\nmetadata: {name: "
                + name
                + (namespace == null ? "" : ", namespace: " + namespace)
                + "}\n")
            .getBytes(StandardCharsets.UTF_8));
  }
}
