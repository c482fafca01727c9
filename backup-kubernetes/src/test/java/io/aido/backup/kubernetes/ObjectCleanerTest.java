package io.aido.backup.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectCleanerTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static GenericKubernetesResource parse(String yaml) {
    return SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class);
  }

  private static String yaml(GenericKubernetesResource object) {
    return SERIALIZATION.asYaml(object);
  }

  @Test
  void clean_anyObject_dropsServerFilledMetadataAndStatus() {
    GenericKubernetesResource object =
        parse(
            """
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w
              namespace: todo
              uid: 0f3c-11
              resourceVersion: "4711"
              generation: 3
              creationTimestamp: "2026-11-24T02:00:00Z"
              deletionTimestamp: "2026-11-24T03:00:00Z"
              deletionGracePeriodSeconds: 30
              selfLink: /apis/example.com/v1/namespaces/todo/widgets/w
              labels: {app: todo}
              annotations:
                kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Widget"}'
                team: chat
              ownerReferences:
              - {apiVersion: v1, kind: ConfigMap, name: owner, uid: 99}
              managedFields:
              - {manager: kubectl, operation: Update, apiVersion: example.com/v1}
            spec: {size: 3}
            status: {ready: true}
            """);

    ObjectCleaner.clean(object);

    assertThat(object.getMetadata().getUid()).isNull();
    assertThat(object.getMetadata().getResourceVersion()).isNull();
    assertThat(object.getMetadata().getGeneration()).isNull();
    assertThat(object.getMetadata().getCreationTimestamp()).isNull();
    assertThat(object.getMetadata().getDeletionTimestamp()).isNull();
    assertThat(object.getMetadata().getDeletionGracePeriodSeconds()).isNull();
    assertThat(object.getMetadata().getSelfLink()).isNull();
    assertThat(object.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(object.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(object.getMetadata().getAnnotations()).containsOnly(Map.entry("team", "chat"));
    assertThat(object.getMetadata().getLabels()).containsOnly(Map.entry("app", "todo"));
    assertThat(object.getMetadata().getName()).isEqualTo("w");
    assertThat(object.getMetadata().getNamespace()).isEqualTo("todo");
    assertThat(object.getAdditionalProperties()).containsOnlyKeys("spec");
    assertThat(yaml(object))
        .doesNotContain(
            "uid", "resourceVersion", "4711", "managedFields", "status", "last-applied");
  }

  @Test
  void clean_onlyLastAppliedAnnotation_removesTheEmptyAnnotationMap() {
    GenericKubernetesResource object =
        parse(
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: c
              annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}
            data: {a: b}
            """);

    ObjectCleaner.clean(object);

    assertThat(object.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(yaml(object)).doesNotContain("annotations");
  }

  @Test
  void clean_nodePortServiceWithAllocatedPorts_dropsClusterIpAndNodePorts() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: todo}
            spec:
              type: LoadBalancer
              externalTrafficPolicy: Local
              clusterIP: 10.0.12.7
              clusterIPs: [10.0.12.7]
              healthCheckNodePort: 31999
              selector: {app: web}
              ports:
              - {name: http, port: 80, targetPort: 8080, protocol: TCP, nodePort: 30080}
              - {name: dns, port: 53, protocol: UDP, nodePort: 30053}
            status: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}
            """);

    ObjectCleaner.clean(service);

    Map<String, Object> spec = spec(service);
    assertThat(spec).doesNotContainKeys("clusterIP", "clusterIPs", "healthCheckNodePort");
    assertThat(ports(service)).allSatisfy(port -> assertThat(port).doesNotContainKey("nodePort"));
    assertThat(ports(service).get(0))
        .containsEntry("port", 80)
        .containsEntry("targetPort", 8080)
        .containsEntry("name", "http");
    assertThat(spec).containsEntry("type", "LoadBalancer").containsKey("selector");
    assertThat(service.getAdditionalProperties()).doesNotContainKey("status");
  }

  @Test
  void clean_nodePortChosenInLastAppliedAnnotation_keepsThatPortOnly() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              annotations:
                kubectl.kubernetes.io/last-applied-configuration: >-
                  {"apiVersion":"v1","kind":"Service","spec":{"type":"NodePort",
                  "ports":[{"port":80,"nodePort":30080}]}}
            spec:
              type: NodePort
              clusterIP: 10.0.12.7
              ports:
              - {port: 80, protocol: TCP, nodePort: 30080}
              - {port: 443, protocol: TCP, nodePort: 31443}
            """);

    ObjectCleaner.clean(service);

    assertThat(ports(service).get(0)).containsEntry("nodePort", 30080);
    assertThat(ports(service).get(1)).doesNotContainKey("nodePort");
    assertThat(service.getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void clean_nodePortOwnedInManagedFields_keepsThatPortOnly() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              managedFields:
              - manager: helm
                operation: Apply
                apiVersion: v1
                fieldsType: FieldsV1
                fieldsV1:
                  f:spec:
                    f:healthCheckNodePort: {}
                    f:ports:
                      'k:{"port":53,"protocol":"UDP"}':
                        .: {}
                        f:nodePort: {}
                        f:port: {}
                      'k:{"port":80,"protocol":"TCP"}':
                        .: {}
                        f:port: {}
            spec:
              type: NodePort
              healthCheckNodePort: 31999
              ports:
              - {port: 80, protocol: TCP, nodePort: 30080}
              - {port: 53, protocol: UDP, nodePort: 30053}
              - {port: 53, protocol: TCP, nodePort: 30054}
            """);

    ObjectCleaner.clean(service);

    assertThat(ports(service).get(0)).doesNotContainKey("nodePort");
    assertThat(ports(service).get(1)).containsEntry("nodePort", 30053);
    assertThat(ports(service).get(2)).doesNotContainKey("nodePort");
    assertThat(spec(service)).containsEntry("healthCheckNodePort", 31999);
    assertThat(service.getMetadata().getManagedFields()).isNullOrEmpty();
  }

  @Test
  void clean_headlessService_keepsClusterIpNone() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: db}
            spec:
              clusterIP: None
              clusterIPs: [None]
              ports: [{port: 5432}]
            """);

    ObjectCleaner.clean(service);

    assertThat(spec(service)).containsEntry("clusterIP", "None");
    assertThat(spec(service)).containsEntry("clusterIPs", List.of("None"));
  }

  @Test
  void clean_serviceOfAnotherGroup_isLeftAlone() {
    GenericKubernetesResource object =
        parse(
            """
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata: {name: fn}
            spec: {clusterIP: 10.0.0.1}
            """);

    ObjectCleaner.clean(object);

    assertThat(spec(object)).containsEntry("clusterIP", "10.0.0.1");
  }

  @Test
  void clean_boundClaim_dropsVolumeNameAndBindingAnnotations() {
    GenericKubernetesResource claim =
        parse(
            """
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: data
              annotations:
                pv.kubernetes.io/bind-completed: "yes"
                pv.kubernetes.io/bound-by-controller: "yes"
                volume.kubernetes.io/storage-provisioner: pd.csi.storage.gke.io
            spec:
              accessModes: [ReadWriteOnce]
              storageClassName: standard-rwo
              resources: {requests: {storage: 10Gi}}
              volumeName: pvc-1234
            status: {phase: Bound}
            """);

    ObjectCleaner.clean(claim);

    assertThat(spec(claim))
        .doesNotContainKey("volumeName")
        .containsEntry("storageClassName", "standard-rwo");
    assertThat(claim.getMetadata().getAnnotations())
        .containsOnlyKeys("volume.kubernetes.io/storage-provisioner");
  }

  @Test
  void clean_job_dropsGeneratedSelectorAndUidLabels() {
    GenericKubernetesResource job =
        parse(
            """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: migrate}
            spec:
              selector: {matchLabels: {batch.kubernetes.io/controller-uid: abc}}
              template:
                metadata:
                  labels:
                    batch.kubernetes.io/controller-uid: abc
                    controller-uid: abc
                    job-name: migrate
                spec: {restartPolicy: Never, containers: [{name: m, image: busybox}]}
            """);

    ObjectCleaner.clean(job);

    assertThat(spec(job)).doesNotContainKey("selector");
    assertThat(job.<Map<String, Object>>get("spec", "template", "metadata", "labels"))
        .containsOnly(Map.entry("job-name", "migrate"));
  }

  @Test
  void clean_jobWithManualSelector_keepsItsSelector() {
    GenericKubernetesResource job =
        parse(
            """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: manual}
            spec:
              manualSelector: true
              selector: {matchLabels: {run: manual}}
              template: {metadata: {labels: {run: manual}}}
            """);

    ObjectCleaner.clean(job);

    assertThat(spec(job)).containsKey("selector");
  }

  @Test
  void clean_pod_dropsNodeName() {
    GenericKubernetesResource pod =
        parse(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec: {nodeName: gke-node-1, containers: [{name: c, image: busybox}]}
            """);

    ObjectCleaner.clean(pod);

    assertThat(spec(pod)).doesNotContainKey("nodeName").containsKey("containers");
  }

  @Test
  void clean_cleanedObject_cleansToItself() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web, uid: u, annotations: {a: b}}
            spec: {clusterIP: 10.0.0.3, ports: [{port: 80, nodePort: 30080}]}
            status: {}
            """);
    String once = yaml(ObjectCleaner.clean(service));

    String twice = yaml(ObjectCleaner.clean(parse(once)));

    assertThat(twice).isEqualTo(once);
  }

  @Test
  void clean_brokenLastAppliedAnnotation_treatsNodePortsAsAllocated() {
    GenericKubernetesResource service =
        parse(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              annotations: {kubectl.kubernetes.io/last-applied-configuration: 'not json'}
            spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}
            """);

    ObjectCleaner.clean(service);

    assertThat(ports(service).get(0)).doesNotContainKey("nodePort");
  }

  @Test
  void clean_null_throws() {
    assertThatNullPointerException().isThrownBy(() -> ObjectCleaner.clean(null));
  }

  @Test
  void group_ofCoreAndNamedApiVersions() {
    assertThat(ObjectCleaner.group("v1")).isEmpty();
    assertThat(ObjectCleaner.group("apps/v1")).isEqualTo("apps");
    assertThat(ObjectCleaner.group(null)).isEmpty();
  }

  private static Map<String, Object> spec(GenericKubernetesResource object) {
    return object.get("spec");
  }

  private static List<Map<String, Object>> ports(GenericKubernetesResource service) {
    return service.get("spec", "ports");
  }
}
