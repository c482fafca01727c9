package io.aido.backup.manifests;

import static io.aido.backup.manifests.ManifestJob.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.aido.backup.testing.CommandRun;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore} into a second, empty cluster. Both clusters are fabric8's mock server in CRUD
 * mode ({@link MockCluster}): it stands in for a real API server because none can run on the build
 * machine; it lacks server-side apply, which {@link MockCluster} answers as create-or-merge.
 */
class RestoreCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ResourceDefinitionContext WIDGETS =
      new ResourceDefinitionContext.Builder()
          .withGroup("example.com")
          .withVersion("v1")
          .withKind("Widget")
          .withPlural("widgets")
          .withNamespaced(true)
          .build();

  @TempDir Path dir;
  private MockCluster source;
  private MockCluster target;
  private ManifestJob job;

  @BeforeEach
  void start() throws Exception {
    source = MockCluster.start();
    target = MockCluster.start();
    try (var client = source.client()) {
      TodoCluster.populate(client);
    }
    job = new ManifestJob(dir);
    assertThat(job.run(source, "export").code()).isZero();
  }

  @AfterEach
  void stop() {
    source.close();
    target.close();
  }

  /**
   * The archive without what differs between two exports by design: id and times, and the index's
   * count of skipped objects, which counts what the source cluster's controllers made (owned Pods,
   * a CronJob's Jobs, ...) and the mock has no controllers to make them again after a restore.
   */
  private static Map<String, String> comparable(Map<String, byte[]> archive) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : archive.entrySet()) {
      if (e.getKey().equals(ManifestArchive.INDEX)) {
        ObjectNode index = (ObjectNode) JSON.readTree(e.getValue());
        index.remove(List.of("backupId", "startedAt", "skipped"));
        out.put(e.getKey(), index.toString());
      } else {
        out.put(e.getKey(), text(e.getValue()));
      }
    }
    return out;
  }

  @Test
  void roundTrip_exportRestoreIntoEmptyClusterExportAgain_archivesIdentical() throws Exception {
    CommandRun restore = job.run(target, "restore", "--backup-id", "latest");

    assertThat(restore.code()).as(restore.all()).isZero();
    assertThat(restore.out()).contains(": 23 created, 0 changed, 0 unchanged, 0 failed");
    BackupRecord first = job.records().get(0);
    assertThat(job.run(target, "export").code()).isZero();
    BackupRecord second =
        job.records().stream().filter(r -> !r.id().equals(first.id())).findFirst().orElseThrow();
    assertThat(comparable(job.archive(second)))
        .containsExactlyEntriesOf(comparable(job.archive(first)));
    JsonNode again = JSON.readTree(job.archive(second).get(ManifestArchive.INDEX));
    assertThat(again.path("skipped").size()).isZero();
    assertThat(second.facts().get("counts")).isEqualTo(first.facts().get("counts"));
    assertThat(target.requests())
        .filteredOn(r -> r.startsWith("PATCH"))
        .isNotEmpty()
        .allMatch(r -> r.contains("fieldManager=aido-backup") && r.contains("apply-patch+yaml"));
    assertThat(target.requests()).noneMatch(r -> r.startsWith("DELETE"));
  }

  @Test
  void restore_appliesInDependencyOrder_crdsBeforeTheirResources() throws Exception {
    assertThat(job.run(target, "restore", "--backup-id", "latest").code()).isZero();

    List<String> writes = target.requests().stream().filter(r -> r.startsWith("PATCH")).toList();
    int namespace = indexOf(writes, "/api/v1/namespaces/todo?");
    int crd = indexOf(writes, "/customresourcedefinitions/widgets.example.com");
    int serviceAccount = indexOf(writes, "/serviceaccounts/todo-api");
    int secret = indexOf(writes, "/secrets/app-secret");
    int configMap = indexOf(writes, "/configmaps/app-config");
    int claim = indexOf(writes, "/persistentvolumeclaims/data");
    int service = indexOf(writes, "/services/web");
    int widget = indexOf(writes, "/widgets/w1");
    int deployment = indexOf(writes, "/deployments/web");
    int ingress = indexOf(writes, "/ingresses/web");
    assertThat(List.of(namespace, crd, serviceAccount, secret, configMap, claim, service, widget))
        .isSorted()
        .doesNotContain(-1);
    assertThat(deployment).isGreaterThan(widget);
    assertThat(ingress).isEqualTo(writes.size() - 1);
  }

  private static int indexOf(List<String> requests, String part) {
    for (int i = 0; i < requests.size(); i++) {
      if (requests.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void restore_forceConflictsOnlyWhenAsked() throws Exception {
    assertThat(job.run(target, "restore", "--backup-id", "latest").code()).isZero();
    assertThat(target.requests())
        .filteredOn(r -> r.startsWith("PATCH"))
        .noneMatch(r -> r.contains("force=true"));
    try (KubernetesClient client = target.client()) {
      client
          .configMaps()
          .inNamespace("todo")
          .withName("app-config")
          .edit(
              c -> {
                c.getData().put("LOG_LEVEL", "debug");
                return c;
              });
    }

    CommandRun forced = job.run(target, "restore", "--backup-id", "latest", "--force-conflicts");

    assertThat(forced.code()).as(forced.all()).isZero();
    assertThat(forced.out()).contains("changed ConfigMap todo/app-config: data.LOG_LEVEL");
    assertThat(target.requests())
        .filteredOn(r -> r.startsWith("PATCH") && r.contains("force=true"))
        .singleElement()
        .asString()
        .contains("/configmaps/app-config");
    try (KubernetesClient client = target.client()) {
      assertThat(client.configMaps().inNamespace("todo").withName("app-config").get().getData())
          .containsEntry("LOG_LEVEL", "info");
    }
  }

  @Test
  void restore_twice_secondRunChangesNothing() throws Exception {
    assertThat(job.run(target, "restore", "--backup-id", "latest").code()).isZero();
    int writes = (int) target.requests().stream().filter(r -> !r.startsWith("GET")).count();

    CommandRun again = job.run(target, "restore", "--backup-id", "latest");

    assertThat(again.code()).as(again.all()).isZero();
    assertThat(again.out()).contains(": 0 created, 0 changed, 23 unchanged, 0 failed");
    assertThat(target.requests().stream().filter(r -> !r.startsWith("GET")).count())
        .isEqualTo(writes);
  }

  @Test
  void restore_dryRun_showsWhatWouldChangeAndWritesNothing() throws Exception {
    assertThat(job.run(target, "restore", "--backup-id", "latest").code()).isZero();
    try (KubernetesClient client = target.client()) {
      client
          .configMaps()
          .inNamespace("todo")
          .withName("app-config")
          .edit(
              c -> {
                c.getData().put("LOG_LEVEL", "debug");
                return c;
              });
      client.genericKubernetesResources(WIDGETS).inNamespace("todo").withName("w1").delete();
    }
    int writes = (int) target.requests().stream().filter(r -> !r.startsWith("GET")).count();

    CommandRun dry = job.run(target, "restore", "--backup-id", "latest", "--dry-run");

    assertThat(dry.code()).as(dry.all()).isZero();
    assertThat(dry.out())
        .contains("would change ConfigMap todo/app-config: data.LOG_LEVEL")
        .contains("would create Widget.example.com todo/w1")
        .contains("dry run of backup")
        .contains(": 1 would be created, 1 would change, 21 unchanged, 0 failed");
    assertThat(target.requests().stream().filter(r -> !r.startsWith("GET")).count())
        .isEqualTo(writes);
    try (KubernetesClient client = target.client()) {
      ConfigMap live = client.configMaps().inNamespace("todo").withName("app-config").get();
      assertThat(live.getData()).containsEntry("LOG_LEVEL", "debug");
    }
  }

  @Test
  void restore_namespaceMap_restoresBesideTheOriginal() throws Exception {
    CommandRun restore =
        job.run(
            source,
            "restore",
            "--backup-id",
            "latest",
            "--namespace",
            "todo",
            "--namespace-map",
            "todo=todo-copy");

    assertThat(restore.code()).as(restore.all()).isZero();
    try (KubernetesClient client = source.client()) {
      assertThat(client.namespaces().withName("todo-copy").get()).isNotNull();
      assertThat(client.apps().deployments().inNamespace("todo-copy").withName("web").get())
          .isNotNull();
      assertThat(client.secrets().inNamespace("todo-copy").withName("app-secret").get())
          .isNotNull();
      GenericKubernetesResource binding =
          client
              .genericKubernetesResources("rbac.authorization.k8s.io/v1", "RoleBinding")
              .inNamespace("todo-copy")
              .withName("todo-api")
              .get();
      assertThat(binding.<String>get("subjects", 0, "namespace")).isEqualTo("todo-copy");
      assertThat(client.secrets().inNamespace("kube-system").list().getItems()).hasSize(1);
    }
    assertThat(restore.out()).doesNotContain("ClusterRole").doesNotContain("kube-system");
  }

  @Test
  void restore_namespaceMapWithoutNamespace_leavesTheOriginalsClusterRoleBindingAlone()
      throws Exception {
    CommandRun restore =
        job.run(source, "restore", "--backup-id", "latest", "--namespace-map", "todo=todo-copy");

    assertThat(restore.code()).as(restore.all()).isZero();
    assertThat(restore.out())
        .contains("skipped ClusterRoleBinding.rbac.authorization.k8s.io todo-reader")
        .contains("subjects of namespace 'todo'")
        .containsPattern(", 0 failed, 1 skipped");
    try (KubernetesClient client = source.client()) {
      GenericKubernetesResource original =
          client
              .genericKubernetesResources("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")
              .withName("todo-reader")
              .get();
      assertThat(original.<String>get("subjects", 0, "namespace")).isEqualTo("todo");
      GenericKubernetesResource copied =
          client
              .genericKubernetesResources("rbac.authorization.k8s.io/v1", "RoleBinding")
              .inNamespace("todo-copy")
              .withName("todo-api")
              .get();
      assertThat(copied.<String>get("subjects", 0, "namespace")).isEqualTo("todo-copy");
    }
  }

  @Test
  void restore_crdNeverEstablished_itsResourcesFailWithTheReason_exit1() throws Exception {
    target.establishCrds(false);

    CommandRun restore = job.run(target, "restore", "--backup-id", "latest", "--crd-timeout", "1");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.out())
        .contains("failed CustomResourceDefinition widgets.example.com: not established after 1 s")
        .contains(
            "failed Widget.example.com todo/w1: its CustomResourceDefinition is not established")
        .contains(
            "failed SealedSecret.bitnami.com todo/db-credentials: its CustomResourceDefinition")
        .contains("created Deployment.apps todo/web")
        .contains(", 4 failed");
    assertThat(restore.err()).contains("4 object(s) of backup").contains("nothing was deleted");
  }

  @Test
  void restore_wrongKey_exit2NothingApplied() throws Exception {
    Path other = dir.resolve("other.json");
    KeyEncryptionKeys.generateKeysetFile(other);
    Map<String, String> env = new HashMap<>(job.env());
    env.put("BACKUP_KEK_URI", other.toString());

    CommandRun restore = job.run(target, env, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("wrong key").contains("nothing was restored");
    assertThat(target.requests()).noneMatch(r -> !r.startsWith("GET"));
  }

  @Test
  void restore_missingBackup_exit2() {
    CommandRun restore = job.run(target, "restore", "--backup-id", "20200101T000000Z-abcdef");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("no such backup");
  }

  @Test
  void restore_badOptions_exit2WithEveryProblem() {
    CommandRun restore =
        job.run(target, "restore", "--namespace-map", "todo", "--crd-timeout", "-1");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err())
        .contains("--backup-id")
        .contains("'todo' is not OLD=NEW")
        .contains("--crd-timeout");
  }

  @Test
  void restore_tamperedArchive_failsNamingThePart() throws Exception {
    Path data;
    try (Stream<Path> s = Files.walk(job.repo.resolve("data"))) {
      data = s.filter(Files::isRegularFile).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(data);
    bytes[bytes.length / 2] ^= 0x40;
    data.toFile().setWritable(true);
    Files.write(data, bytes);

    CommandRun restore = job.run(target, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.err()).contains("manifests.tar");
  }

  @Test
  void restore_archiveOfSeveralSegmentsTamperedAtItsEnd_refusedWithNothingApplied()
      throws Exception {
    try (var client = source.client()) {
      java.util.Random random = new java.util.Random(7);
      for (int i = 0; i < 3; i++) {
        byte[] noise = new byte[600_000];
        random.nextBytes(noise);
        client
            .configMaps()
            .inNamespace("todo")
            .resource(
                new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("blob-" + i)
                    .withNamespace("todo")
                    .endMetadata()
                    .addToData("noise", java.util.Base64.getEncoder().encodeToString(noise))
                    .build())
            .create();
      }
    }
    assertThat(job.run(source, "export").code()).isZero();
    BackupRecord big =
        job.records().stream()
            .max(java.util.Comparator.comparing(BackupRecord::startedAt))
            .orElseThrow();
    Path data = job.repo.resolve(big.parts().get(0).object());
    byte[] bytes = Files.readAllBytes(data);
    assertThat(bytes.length).isGreaterThan(1 << 20); // more than one 1 MiB encryption segment
    bytes[bytes.length - 40] ^= 0x40;
    data.toFile().setWritable(true);
    Files.write(data, bytes);

    CommandRun restore = job.run(target, "restore", "--backup-id", big.id().value());

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.err()).contains("manifests.tar").contains("nothing was restored");
    assertThat(restore.out()).doesNotContain("created");
    assertThat(target.requests())
        .noneMatch(r -> r.startsWith("POST") || r.startsWith("PATCH") || r.startsWith("PUT"));
  }

  @Test
  void restore_latestWithoutAnyBackup_exit2() throws Exception {
    ManifestJob empty = new ManifestJob(dir.resolve("empty"));
    Repository.open(
        BlobStores.open(empty.repo.toUri().toString()),
        new Pipeline(PipelineSettings.defaults()),
        Clock.systemUTC());

    CommandRun restore = empty.run(target, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("holds no manifests backup");
  }

  @Test
  void restore_whereNoRepositoryIs_exit2AndCreatesNothing() throws Exception {
    ManifestJob mistyped = new ManifestJob(dir.resolve("mistyped"));

    CommandRun restore = mistyped.run(target, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err()).contains("no repository at");
    assertThat(mistyped.repo).doesNotExist();
  }

  @Test
  void restore_audited() throws Exception {
    assertThat(job.run(target, "restore", "--backup-id", "latest", "--dry-run").code()).isZero();
    assertThat(job.run(target, "restore", "--backup-id", "latest").code()).isZero();

    try (Stream<Path> audit = Files.walk(job.repo.resolve("audit"))) {
      List<String> events = audit.filter(Files::isRegularFile).map(Path::toString).toList();
      assertThat(events).anyMatch(p -> p.contains("restore")).anyMatch(p -> p.contains("read"));
    }
  }

  @Test
  void extract_helmTree_oneDirectoryPerRevisionOwnerOnly() throws Exception {
    Path out = dir.resolve("extracted");

    CommandRun run = job.run(target, "extract", "--backup-id", "latest", "--out", out.toString());

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(run.out()).contains("extracted 6 file(s)");
    for (int revision = 1; revision <= 3; revision++) {
      Path values = out.resolve("helm/todo/todo/" + revision + "/values.yaml");
      assertThat(Files.readString(values)).contains("replicas: " + revision);
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(values)))
          .isEqualTo("rw-------");
    }
    try (Stream<Path> files = Files.walk(out)) {
      assertThat(files.filter(Files::isRegularFile)).allMatch(p -> p.toString().contains("/helm/"));
    }
    assertThat(target.requests()).isEmpty();

    CommandRun again = job.run(target, "extract", "--backup-id", "latest", "--out", out.toString());
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("exists and is not an empty directory");
  }
}
