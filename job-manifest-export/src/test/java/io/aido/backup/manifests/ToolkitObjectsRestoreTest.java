package io.aido.backup.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.aido.backup.testing.CommandRun;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook's site failure, steps 2 and 4, against two clusters: the backup toolkit is installed
 * in the new cluster from k8s/ with its CronJobs suspended ({@code kubectl patch}), then the old
 * cluster's manifests are restored. The toolkit's own objects in the backup (label {@code
 * app.kubernetes.io/part-of=aido-backup}) must not be applied over what step 2 set.
 *
 * <p>Both clusters are fabric8's mock server in CRUD mode ({@link MockCluster}), standing in for an
 * API server because none can run on the build machine; it emulates server-side apply's conflict
 * with a field that {@code kubectl patch} set, which is how the real restore failed.
 */
class ToolkitObjectsRestoreTest {
  private static final String TOOLKIT_NS =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: aido-backup, labels: {app.kubernetes.io/part-of: aido-backup}}
      """;
  private static final String CRONJOB =
      """
      apiVersion: batch/v1
      kind: CronJob
      metadata:
        name: db-backup
        namespace: aido-backup
        labels: {app.kubernetes.io/name: db-backup, app.kubernetes.io/part-of: aido-backup}
      spec:
        schedule: "0 2 * * *"
        suspend: false
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: Never
                containers: [{name: db-backup, image: "ghcr.io/aido-todo/job-db-backup:0.1.0"}]
      """;
  private static final String CLUSTER_ROLE =
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRole
      metadata: {name: aido-backup-manifest-export, labels: {app.kubernetes.io/part-of: aido-backup}}
      rules: [{apiGroups: ["*"], resources: ["*"], verbs: [get, list]}]
      """;

  @TempDir Path dir;
  private MockCluster old;
  private MockCluster site;
  private ManifestJob job;
  private String backupId;

  @BeforeEach
  void exportTheOldCluster() throws Exception {
    old = MockCluster.start();
    site = MockCluster.start();
    try (KubernetesClient client = old.client()) {
      TodoCluster.populate(client);
      client.resource(TOOLKIT_NS).create();
      client.resource(CRONJOB).create();
      client.resource(CLUSTER_ROLE).create();
    }
    job = new ManifestJob(dir);
    assertThat(job.run(old, "export").code()).isZero();
    backupId = job.records().get(0).id().value();
  }

  @AfterEach
  void stop() {
    old.close();
    site.close();
  }

  /** Step 2: the toolkit from k8s/, then every CronJob suspended as kubectl patch does it. */
  private void installToolkitSuspended() {
    try (KubernetesClient client = site.client()) {
      client.resource(TOOLKIT_NS).create();
      client.resource(CRONJOB).create();
      client.resource(CLUSTER_ROLE).create();
      client
          .batch()
          .v1()
          .cronjobs()
          .inNamespace("aido-backup")
          .withName("db-backup")
          .patch(
              new PatchContext.Builder()
                  .withPatchType(PatchType.JSON_MERGE)
                  .withFieldManager("kubectl-patch")
                  .build(),
              "{\"spec\":{\"suspend\":true}}");
    }
  }

  private CronJob siteCronJob() {
    try (KubernetesClient client = site.client()) {
      return client.batch().v1().cronjobs().inNamespace("aido-backup").withName("db-backup").get();
    }
  }

  @Test
  void restore_afterToolkitInstalledAndSuspended_skipsToolkitObjectsAndKeepsSuspend() {
    installToolkitSuspended();

    CommandRun r = job.run(site, "restore", "--backup-id", backupId);

    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("skipped CronJob.batch aido-backup/db-backup: the backup toolkit's own object")
        .contains("skipped Namespace aido-backup")
        .contains("skipped ClusterRole.rbac.authorization.k8s.io aido-backup-manifest-export")
        .contains("3 of the backup toolkit's own skipped")
        .contains("created Deployment.apps todo/web");
    assertThat(siteCronJob().getSpec().getSuspend()).isTrue();
  }

  @Test
  void apply_exportedCronJobOverKubectlPatch_conflictsWithoutForce() throws Exception {
    // what the restore did before it skipped the toolkit's objects: the mock refuses it as an API
    // server does, so the test above would fail on the conflict, not only on suspend
    installToolkitSuspended();
    CronJob exported =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(CRONJOB, CronJob.class);
    try (KubernetesClient client = site.client()) {
      assertThatThrownBy(
              () ->
                  client.resource(exported).fieldManager(ApiErrors.FIELD_MANAGER).serverSideApply())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409))
          .hasMessageContaining("conflict with \"kubectl-patch\": .spec.suspend");
    }
    assertThat(siteCronJob().getSpec().getSuspend()).isTrue();
  }

  @Test
  void restore_withoutToolkitInstalled_stillSkipsItAndSaysSo() {
    CommandRun r = job.run(site, "restore", "--backup-id", backupId);

    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out()).contains("skipped CronJob.batch aido-backup/db-backup");
    assertThat(siteCronJob()).isNull();
  }
}
