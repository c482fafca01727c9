package io.aido.backup.manifests;

import static io.aido.backup.manifests.ManifestJob.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.kubernetes.ObjectYaml;
import io.aido.backup.kubernetes.manifests.ApplyOrder;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.aido.backup.kubernetes.manifests.SkipRules;
import io.aido.backup.testing.CommandRun;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export} against fabric8's mock server in CRUD mode ({@link MockCluster}; it stands in for
 * a real API server because none can run on the build machine), holding the TODO app ({@link
 * TodoCluster}).
 */
class ExportCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path dir;
  private MockCluster cluster;
  private ManifestJob job;

  @BeforeEach
  void start() throws Exception {
    cluster = MockCluster.start();
    try (var client = cluster.client()) {
      TodoCluster.populate(client);
    }
    job = new ManifestJob(dir);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private static List<String> objectPaths(Map<String, byte[]> archive) {
    return archive.keySet().stream()
        .filter(p -> p.startsWith("cluster/") || p.startsWith("namespaces/"))
        .toList();
  }

  private static GenericKubernetesResource object(Map<String, byte[]> archive, String path)
      throws Exception {
    assertThat(archive).containsKey(path);
    return ObjectYaml.read(archive.get(path));
  }

  @Test
  void export_todoCluster_holdsExactlyTheExpectedObjectsInApplyOrder() throws Exception {
    CommandRun run = job.run(cluster, "export");

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(run.out()).containsPattern("export \\S+: 23 object\\(s\\) in 1 namespace\\(s\\)");
    BackupRecord record = job.records().get(0);
    Map<String, byte[]> archive = job.archive(record);
    assertThat(objectPaths(archive))
        .containsExactlyInAnyOrderElementsOf(TodoCluster.EXPECTED_OBJECTS);
    List<String> names = List.copyOf(archive.keySet());
    assertThat(names.get(0)).isEqualTo(ManifestArchive.TYPES);
    assertThat(names.get(names.size() - 1)).isEqualTo(ManifestArchive.INDEX);
    int lastRank = -1;
    for (String path : objectPaths(archive)) {
      GenericKubernetesResource o = ObjectYaml.read(archive.get(path));
      boolean namespaced = path.startsWith("namespaces/");
      int rank = ApplyOrder.rank(SkipRules.group(o.getApiVersion()), o.getKind(), namespaced);
      assertThat(rank).as(path).isGreaterThanOrEqualTo(lastRank);
      lastRank = rank;
    }
  }

  @Test
  void export_objectsAreCleanedForAnotherCluster() throws Exception {
    assertThat(job.run(cluster, "export").code()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));

    for (String path : objectPaths(archive)) {
      GenericKubernetesResource o = ObjectYaml.read(archive.get(path));
      assertThat(o.getMetadata().getUid()).as(path).isNull();
      assertThat(o.getMetadata().getResourceVersion()).as(path).isNull();
      assertThat(o.getMetadata().getCreationTimestamp()).as(path).isNull();
      assertThat(o.getMetadata().getGeneration()).as(path).isNull();
      assertThat(o.getMetadata().getManagedFields()).as(path).isNullOrEmpty();
      assertThat(o.getMetadata().getOwnerReferences()).as(path).isNullOrEmpty();
      assertThat(o.getAdditionalProperties()).as(path).doesNotContainKey("status");
      assertThat(text(archive.get(path))).as(path).doesNotContain("last-applied-configuration");
    }
    GenericKubernetesResource service = object(archive, "namespaces/todo/core/Service/web.yaml");
    Map<String, Object> spec = service.get("spec");
    assertThat(spec)
        .doesNotContainKeys("clusterIP", "clusterIPs")
        .containsEntry("type", "NodePort");
    assertThat(text(archive.get("namespaces/todo/core/Service/web.yaml"))).doesNotContain("31080");
    GenericKubernetesResource claim =
        object(archive, "namespaces/todo/core/PersistentVolumeClaim/data.yaml");
    assertThat(claim.<Map<String, Object>>get("spec"))
        .doesNotContainKey("volumeName")
        .containsEntry("storageClassName", "fast");
    assertThat(claim.getMetadata().getAnnotations()).isNullOrEmpty();
    GenericKubernetesResource job = object(archive, "namespaces/todo/batch/Job/migrate.yaml");
    assertThat(job.<Map<String, Object>>get("spec")).doesNotContainKey("selector");
    GenericKubernetesResource deployment =
        object(archive, "namespaces/todo/apps/Deployment/web.yaml");
    assertThat(deployment.<Integer>get("spec", "replicas")).isEqualTo(2);
    GenericKubernetesResource config =
        object(archive, "namespaces/todo/core/ConfigMap/app-config.yaml");
    assertThat(config.<String>get("data", "FEATURE_FLAGS")).isEqualTo("yes");
    assertThat(config.<String>get("data", "PORT")).isEqualTo("8080");
  }

  @Test
  void export_helmTree_hasTheValuesAndFactsOfEachRevision() throws Exception {
    assertThat(job.run(cluster, "export").code()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));

    for (int revision = 1; revision <= 3; revision++) {
      String base = "helm/todo/todo/" + revision + "/";
      JsonNode values = YAML.readTree(archive.get(base + "values.yaml"));
      assertThat(values.path("replicas").asInt()).isEqualTo(revision);
      assertThat(values.path("db").path("password").asText())
          .isEqualTo(TodoCluster.HELM_DB_PASSWORD);
      assertThat(values.has("image")).as("chart defaults are not user values").isFalse();
      JsonNode facts = YAML.readTree(archive.get(base + "release.yaml"));
      assertThat(facts.path("chart").asText()).isEqualTo("todo-chart");
      assertThat(facts.path("chartVersion").asText()).isEqualTo("1." + revision + ".0");
      assertThat(facts.path("revision").asInt()).isEqualTo(revision);
      assertThat(facts.path("status").asText())
          .isEqualTo(revision == 3 ? "deployed" : "superseded");
    }
  }

  @Test
  void export_indexAndRecordHoldTheSameCounts() throws Exception {
    assertThat(job.run(cluster, "export").code()).isZero();
    BackupRecord record = job.records().get(0);
    JsonNode index = JSON.readTree(job.archive(record).get(ManifestArchive.INDEX));

    assertThat(index.path("objects").asLong()).isEqualTo(23);
    assertThat(index.path("counts").path("Secret").asInt()).isEqualTo(5);
    assertThat(index.path("counts").path("Deployment.apps").asInt()).isEqualTo(1);
    assertThat(index.path("skipped").path("owned Pod").asInt()).isEqualTo(2);
    assertThat(index.path("skipped").path("Job of a CronJob").asInt()).isEqualTo(1);
    assertThat(index.path("typesLeftOut").path("Event").asText()).contains("recreated");
    JsonNode recorded = JSON.valueToTree(record.facts().get("counts"));
    assertThat(recorded).isEqualTo(index.path("counts"));
    assertThat(((Number) record.facts().get("objects")).longValue()).isEqualTo(23);
    assertThat(record.source().cluster()).isEqualTo("test");
  }

  @Test
  void export_secretsSealedOnly_keepsOnlyTheSealingKey() throws Exception {
    CommandRun run = job.run(cluster, "export", "--secrets", "sealed-only");

    assertThat(run.code()).as(run.all()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));
    assertThat(objectPaths(archive).stream().filter(p -> p.contains("/core/Secret/")))
        .containsExactly("namespaces/kube-system/core/Secret/sealed-secrets-key7x2k.yaml");
    assertThat(archive.keySet()).noneMatch(p -> p.startsWith("helm/"));
    assertThat(archive).containsKey("namespaces/todo/bitnami.com/SealedSecret/db-credentials.yaml");
  }

  @Test
  void export_secretsExclude_keepsNoSecret() throws Exception {
    CommandRun run = job.run(cluster, "export", "--secrets", "exclude");

    assertThat(run.code()).as(run.all()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));
    assertThat(objectPaths(archive)).noneMatch(p -> p.contains("/core/Secret/"));
    for (byte[] content : archive.values()) {
      for (String secret : TodoCluster.SECRET_VALUES) {
        assertThat(text(content)).doesNotContain(secret);
      }
    }
  }

  @Test
  void export_kindAndLabelFilters_narrowTheExport() throws Exception {
    CommandRun run =
        job.run(
            cluster,
            "export",
            "--namespace",
            "todo",
            "--include-kind",
            "ConfigMap,Deployment.apps,Namespace,Secret",
            "--exclude-kind",
            "Secret",
            "--exclude-label",
            "team=chat");

    assertThat(run.code()).as(run.all()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));
    assertThat(objectPaths(archive))
        .containsExactly(
            "namespaces/todo/core/ConfigMap/app-config.yaml",
            "namespaces/todo/apps/Deployment/web.yaml");
  }

  @Test
  void export_selector_keepsOnlyMatchingNamespacedObjects() throws Exception {
    CommandRun run =
        job.run(cluster, "export", "--selector", "app=web", "--cluster-kind", "StorageClass");

    assertThat(run.code()).as(run.all()).isZero();
    Map<String, byte[]> archive = job.archive(job.records().get(0));
    assertThat(objectPaths(archive))
        .containsExactly(
            "cluster/core/Namespace/todo.yaml",
            "cluster/storage.k8s.io/StorageClass/fast.yaml",
            "namespaces/kube-system/core/Secret/sealed-secrets-key7x2k.yaml",
            "namespaces/todo/apps/Deployment/web.yaml");
  }

  @Test
  void export_namespaceFromTheDocumentedVariable_scopesTheExport() throws Exception {
    Map<String, String> env = job.env();
    env.put("BACKUP_NAMESPACE", "todo");
    env.put("BACKUP_INCLUDE_KIND", "ConfigMap");

    CommandRun run = job.run(cluster, env, "export");

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(objectPaths(job.archive(job.records().get(0))))
        .containsExactly("namespaces/todo/core/ConfigMap/app-config.yaml");
  }

  @Test
  void export_misspeltNamespaceVariable_exit2NamingItAndNothingWritten() throws Exception {
    Map<String, String> env = job.env();
    env.put("BACKUP_NAMESPACE_", "todo");

    CommandRun run = job.run(cluster, env, "export");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("BACKUP_NAMESPACE_ is set but is no option of manifest-export")
        .contains("did you mean BACKUP_NAMESPACE");
    assertThat(Files.exists(job.repo)).isFalse();
  }

  @Test
  void export_unknownNamespace_exit2AndNothingWritten() throws Exception {
    CommandRun run = job.run(cluster, "export", "--namespace", "todo,nope");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("error: namespace(s) nope do not exist");
    assertThat(job.records()).isEmpty();
    assertThat(dataObjects()).isEmpty();
  }

  @Test
  void export_badOptions_exit2WithEveryProblem() throws Exception {
    CommandRun run =
        job.run(
            cluster,
            "export",
            "--secrets",
            "some",
            "--namespace",
            "Not_A_Namespace",
            "--page-size",
            "0");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("--secrets")
        .contains("'some' is not one of include, sealed-only, exclude")
        .contains("'Not_A_Namespace' is not a namespace name")
        .contains("--page-size");
    assertThat(Files.exists(job.repo)).isFalse();
  }

  @Test
  void export_apiServerUnreachable_exit1NoRecord() throws Exception {
    cluster.close();

    CommandRun run = job.run(cluster, "export");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("error: unable to discover").contains("nothing was written");
    assertThat(job.records()).isEmpty();
  }

  @Test
  void export_listingRefused_exit1NoRecordEarlierBackupUntouched() throws Exception {
    assertThat(job.run(cluster, "export").code()).isZero();
    cluster.refuse("/apis/apps/v1/deployments", 403);

    CommandRun run = job.run(cluster, "export");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("unable to list deployments.apps")
        .contains("HTTP 403")
        .contains("no record was written");
    assertThat(job.records()).hasSize(1);
  }

  @Test
  void export_repositoryCannotStoreTheArchive_exit1NothingVisible() throws Exception {
    // a file where the job needs a directory: the store fails as a full or broken disk would,
    // whoever runs the test (root ignores permissions)
    Files.createDirectories(job.repo.resolve("data"));
    Files.writeString(job.repo.resolve("data/manifests"), "in the way");

    CommandRun run = job.run(cluster, "export");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("error: ").contains("earlier backups are untouched");
    assertThat(job.records()).isEmpty();
  }

  @Test
  void export_smallPages_sameArchiveAsOnePage() throws Exception {
    assertThat(job.run(cluster, "export", "--page-size", "1").code()).isZero();
    assertThat(job.run(cluster, "export").code()).isZero();
    List<BackupRecord> records = job.records();

    Map<String, byte[]> small = job.archive(records.get(0));
    Map<String, byte[]> large = job.archive(records.get(1));
    assertThat(small.keySet()).containsExactlyElementsOf(large.keySet());
    assertThat(cluster.requests()).anyMatch(r -> r.contains("continue=") && r.contains("limit=1"));
  }

  private List<Path> dataObjects() throws Exception {
    Path data = job.repo.resolve("data");
    if (!Files.exists(data)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(data)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
