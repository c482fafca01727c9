package io.aido.backup.manifests;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The TODO app as it runs in a cluster, written into a {@link MockCluster}: a namespace with a
 * Deployment and its ReplicaSet and Pods, a Service with an allocated node port, a ConfigMap,
 * Secrets, a CronJob with a Job, a SealedSecret and the Secret it unseals into, a custom resource
 * of a CRD, three Helm release revisions, a PVC, and what the cluster makes by itself (Events,
 * Endpoints, a Lease, the default ServiceAccount token, kube-root-ca.crt); the Sealed Secrets key
 * in kube-system; cluster-scoped objects.
 */
final class TodoCluster {
  /** Values that must never appear outside the encrypted payload. */
  static final String APP_PASSWORD = "Pw-9f2c-app-secret-value";

  static final String SEALING_KEY = "KEY-5e1d-sealing-private-key";
  static final String HELM_DB_PASSWORD = "Helm-77aa-db-password";
  static final String OUTPUT_SECRET = "Out-41bb-unsealed-value";
  static final String TOKEN = "Tok-0c3e-service-account-token";

  static final List<String> SECRET_VALUES =
      List.of(APP_PASSWORD, SEALING_KEY, HELM_DB_PASSWORD, OUTPUT_SECRET, TOKEN);

  /** Every object path an export of the whole cluster must hold, nothing more. */
  static final List<String> EXPECTED_OBJECTS =
      List.of(
          "cluster/core/Namespace/todo.yaml",
          "cluster/apiextensions.k8s.io/CustomResourceDefinition/sealedsecrets.bitnami.com.yaml",
          "cluster/apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com.yaml",
          "cluster/rbac.authorization.k8s.io/ClusterRole/todo-reader.yaml",
          "cluster/rbac.authorization.k8s.io/ClusterRoleBinding/todo-reader.yaml",
          "cluster/storage.k8s.io/StorageClass/fast.yaml",
          "namespaces/todo/core/ServiceAccount/default.yaml",
          "namespaces/todo/core/ServiceAccount/todo-api.yaml",
          "namespaces/todo/core/Secret/app-secret.yaml",
          "namespaces/todo/core/Secret/sh.helm.release.v1.todo.v1.yaml",
          "namespaces/todo/core/Secret/sh.helm.release.v1.todo.v2.yaml",
          "namespaces/todo/core/Secret/sh.helm.release.v1.todo.v3.yaml",
          "namespaces/kube-system/core/Secret/sealed-secrets-key7x2k.yaml",
          "namespaces/todo/core/ConfigMap/app-config.yaml",
          "namespaces/todo/rbac.authorization.k8s.io/RoleBinding/todo-api.yaml",
          "namespaces/todo/core/PersistentVolumeClaim/data.yaml",
          "namespaces/todo/core/Service/web.yaml",
          "namespaces/todo/bitnami.com/SealedSecret/db-credentials.yaml",
          "namespaces/todo/example.com/Widget/w1.yaml",
          "namespaces/todo/apps/Deployment/web.yaml",
          "namespaces/todo/batch/CronJob/nightly.yaml",
          "namespaces/todo/batch/Job/migrate.yaml",
          "namespaces/todo/networking.k8s.io/Ingress/web.yaml");

  private TodoCluster() {}

  static void populate(KubernetesClient client) {
    for (String yaml : OBJECTS) {
      client.resource(yaml).create();
    }
    for (int revision = 1; revision <= 3; revision++) {
      client.resource(helmRelease(revision)).create();
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A Helm 3 release Secret: Secret base64 of Helm base64 of gzip of the release JSON. */
  static String helmRelease(int revision) {
    String status = revision == 3 ? "deployed" : "superseded";
    String json =
        """
        {"name":"todo","namespace":"todo","version":%d,
         "info":{"status":"%s","first_deployed":"2026-11-01T10:00:00Z",
                 "last_deployed":"2026-11-0%dT10:00:00Z","description":"Upgrade complete"},
         "chart":{"metadata":{"name":"todo-chart","version":"1.%d.0","appVersion":"2.0.%d"},
                  "values":{"replicas":1,"image":"todo:latest"},
                  "templates":[{"name":"templates/deployment.yaml","data":"a2luZDogRGVwbG95bWVudA=="}]},
         "config":{"replicas":%d,"db":{"password":"%s"}},
         "manifest":"---\\nkind: Deployment\\n"}
        """
            .formatted(revision, status, revision, revision, revision, revision, HELM_DB_PASSWORD);
    String helmValue = Base64.getEncoder().encodeToString(gzip(json));
    return """
        apiVersion: v1
        kind: Secret
        type: helm.sh/release.v1
        metadata:
          name: sh.helm.release.v1.todo.v%d
          namespace: todo
          labels: {name: todo, owner: helm, status: %s, version: "%d"}
        data:
          release: %s
        """
        .formatted(revision, status, revision, b64(helmValue));
  }

  private static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static final List<String> OBJECTS =
      List.of(
          """
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: widgets.example.com}
          spec:
            group: example.com
            scope: Namespaced
            names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
            versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
          """,
          """
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: sealedsecrets.bitnami.com}
          spec:
            group: bitnami.com
            scope: Namespaced
            names: {kind: SealedSecret, plural: sealedsecrets, singular: sealedsecret}
            versions:
            - name: v1alpha1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
          """,
          """
          apiVersion: v1
          kind: Namespace
          metadata: {name: todo, labels: {kubernetes.io/metadata.name: todo, team: chat}}
          """,
          """
          apiVersion: v1
          kind: Namespace
          metadata: {name: kube-system}
          """,
          """
          apiVersion: v1
          kind: Namespace
          metadata: {name: kube-public}
          """,
          """
          apiVersion: rbac.authorization.k8s.io/v1
          kind: ClusterRole
          metadata: {name: todo-reader, labels: {app.kubernetes.io/part-of: todo}}
          rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
          """,
          """
          apiVersion: rbac.authorization.k8s.io/v1
          kind: ClusterRole
          metadata:
            name: system:basic-user
            labels: {kubernetes.io/bootstrapping: rbac-defaults}
          rules: [{apiGroups: [authorization.k8s.io], resources: [selfsubjectreviews], verbs: [create]}]
          """,
          """
          apiVersion: rbac.authorization.k8s.io/v1
          kind: ClusterRoleBinding
          metadata: {name: todo-reader}
          roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: todo-reader}
          subjects: [{kind: ServiceAccount, name: todo-api, namespace: todo}]
          """,
          """
          apiVersion: storage.k8s.io/v1
          kind: StorageClass
          metadata: {name: fast}
          provisioner: pd.csi.storage.gke.io
          parameters: {type: pd-ssd}
          """,
          """
          apiVersion: v1
          kind: PersistentVolume
          metadata: {name: pvc-0a1b}
          spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/x}}
          """,
          """
          apiVersion: v1
          kind: ServiceAccount
          metadata: {name: default, namespace: todo}
          """,
          """
          apiVersion: v1
          kind: ServiceAccount
          metadata: {name: todo-api, namespace: todo}
          """,
          """
          apiVersion: rbac.authorization.k8s.io/v1
          kind: RoleBinding
          metadata: {name: todo-api, namespace: todo}
          roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: todo-reader}
          subjects: [{kind: ServiceAccount, name: todo-api, namespace: todo}]
          """,
          """
          apiVersion: v1
          kind: Secret
          type: Opaque
          metadata:
            name: app-secret
            namespace: todo
            annotations:
              kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Secret"}'
          data: {password: %s}
          """
              .formatted(b64(APP_PASSWORD)),
          """
          apiVersion: v1
          kind: Secret
          type: kubernetes.io/service-account-token
          metadata:
            name: default-token-abcde
            namespace: todo
            annotations: {kubernetes.io/service-account.name: default}
          data: {token: %s}
          """
              .formatted(b64(TOKEN)),
          """
          apiVersion: v1
          kind: Secret
          type: Opaque
          metadata:
            name: db-credentials
            namespace: todo
            ownerReferences:
            - {apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, name: db-credentials, uid: 5, controller: true}
          data: {password: %s}
          """
              .formatted(b64(OUTPUT_SECRET)),
          """
          apiVersion: v1
          kind: Secret
          type: kubernetes.io/tls
          metadata:
            name: sealed-secrets-key7x2k
            namespace: kube-system
            labels: {sealedsecrets.bitnami.com/sealed-secrets-key: active}
          data: {tls.crt: Y2VydA==, tls.key: %s}
          """
              .formatted(b64(SEALING_KEY)),
          """
          apiVersion: bitnami.com/v1alpha1
          kind: SealedSecret
          metadata: {name: db-credentials, namespace: todo}
          spec:
            encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq}
            template: {metadata: {name: db-credentials, namespace: todo}}
          """,
          """
          apiVersion: example.com/v1
          kind: Widget
          metadata: {name: w1, namespace: todo}
          spec: {size: 3}
          status: {ready: true}
          """,
          """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: app-config, namespace: todo, labels: {app: todo}}
          data: {LOG_LEVEL: info, FEATURE_FLAGS: "yes", PORT: "8080"}
          """,
          """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: kube-root-ca.crt, namespace: todo}
          data: {ca.crt: cert}
          """,
          """
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata:
            name: data
            namespace: todo
            annotations: {pv.kubernetes.io/bind-completed: "yes"}
          spec:
            accessModes: [ReadWriteOnce]
            storageClassName: fast
            resources: {requests: {storage: 1Gi}}
            volumeName: pvc-0a1b
          status: {phase: Bound}
          """,
          """
          apiVersion: v1
          kind: Service
          metadata: {name: web, namespace: todo}
          spec:
            type: NodePort
            clusterIP: 10.96.0.17
            clusterIPs: [10.96.0.17]
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP, nodePort: 31080}]
          """,
          """
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: todo, labels: {app: web}}
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec: {containers: [{name: web, image: "todo:2.0.3", ports: [{containerPort: 8080}]}]}
          status: {replicas: 2, readyReplicas: 2}
          """,
          """
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata:
            name: web-7d9f
            namespace: todo
            ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: 1, controller: true}]
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: "todo:2.0.3"}]}}
          """,
          """
          apiVersion: v1
          kind: Pod
          metadata:
            name: web-7d9f-a
            namespace: todo
            ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, uid: 2, controller: true}]
          spec: {nodeName: node-1, containers: [{name: web, image: "todo:2.0.3"}]}
          """,
          """
          apiVersion: v1
          kind: Pod
          metadata:
            name: web-7d9f-b
            namespace: todo
            ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, uid: 2, controller: true}]
          spec: {nodeName: node-2, containers: [{name: web, image: "todo:2.0.3"}]}
          """,
          """
          apiVersion: batch/v1
          kind: CronJob
          metadata: {name: nightly, namespace: todo}
          spec:
            schedule: "0 2 * * *"
            jobTemplate:
              spec:
                template: {spec: {restartPolicy: Never, containers: [{name: n, image: busybox}]}}
          """,
          """
          apiVersion: batch/v1
          kind: Job
          metadata:
            name: nightly-29000000
            namespace: todo
            ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: 3, controller: true}]
          spec:
            template: {spec: {restartPolicy: Never, containers: [{name: n, image: busybox}]}}
          """,
          """
          apiVersion: batch/v1
          kind: Job
          metadata: {name: migrate, namespace: todo}
          spec:
            selector: {matchLabels: {batch.kubernetes.io/controller-uid: 7f3e}}
            template:
              metadata: {labels: {batch.kubernetes.io/controller-uid: 7f3e, job-name: migrate}}
              spec: {restartPolicy: Never, containers: [{name: m, image: "todo:2.0.3"}]}
          """,
          """
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata: {name: web, namespace: todo}
          spec:
            rules:
            - host: todo.example.com
              http:
                paths:
                - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
          """,
          """
          apiVersion: v1
          kind: Event
          metadata: {name: web.17a, namespace: todo}
          involvedObject: {kind: Pod, name: web-7d9f-a, namespace: todo}
          reason: Started
          """,
          """
          apiVersion: v1
          kind: Endpoints
          metadata: {name: web, namespace: todo}
          subsets: [{addresses: [{ip: 10.0.0.5}], ports: [{port: 8080}]}]
          """,
          """
          apiVersion: coordination.k8s.io/v1
          kind: Lease
          metadata: {name: todo-leader, namespace: todo}
          spec: {holderIdentity: web-7d9f-a}
          """,
          """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: coredns, namespace: kube-system}
          data: {Corefile: "."}
          """);
}
