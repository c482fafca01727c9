package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.manifests.MockCluster;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook's site failure (docs/disaster-recovery.md, scenario 3), steps 2 to 8, in its order,
 * from the backups an old site left in a repository to a new site whose jobs are resumed and whose
 * {@code wal-archive} is accepted.
 *
 * <p>Real: PostgreSQL (the old site's and the new, empty one: a new system identifier), every job
 * run in-process with its own command line, the repository (file://) and the key (a Tink keyset
 * file standing in for Cloud KMS, which cannot run here), and the toolkit's objects as k8s/ renders
 * them (overlay gke). Simulated: the Kubernetes API is fabric8's mock server in CRUD mode ({@link
 * MockCluster}, no API server can run on the build machine), so {@code kubectl} steps are the same
 * requests made through the client ({@code kubectl patch} as a merge patch with field manager
 * {@code kubectl-patch}, whose fields the mock defends against apply conflicts as an API server
 * does), and the Jobs the runbook starts from CronJobs are run here in-process instead of by a
 * controller. Not done: step 1 (gcloud), the Sealed Secrets controller's restart in step 4, step
 * 6's rollout (no controllers run pods) beyond the replica count, and step 7 (DNS).
 */
class SiteFailureIT {
  private static final String APP =
      """
      apiVersion: v1
      kind: List
      items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: todo}
        - apiVersion: v1
          kind: ConfigMap
          metadata: {name: todo-config, namespace: todo}
          data: {DB_NAME: todo}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: todo-chatbot, namespace: todo, labels: {app: todo-chatbot}}
          spec:
            replicas: 2
            selector: {matchLabels: {app: todo-chatbot}}
            template:
              metadata: {labels: {app: todo-chatbot}}
              spec: {containers: [{name: api, image: "todo-chatbot:2.0.3"}]}
      """;

  @TempDir Path dir;
  private PgCluster oldDb;
  private PgCluster newDb;
  private MockCluster oldSite;
  private MockCluster newSite;

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {oldSite, newSite, oldDb, newDb}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the next resource is still closed
      }
    }
  }

  private static CommandRun run(JobMain main, Map<String, String> env, String... args) {
    return CommandRun.of(main::execute, env, args);
  }

  private static CommandRun ok(JobMain main, Map<String, String> env, String... args) {
    CommandRun r = run(main, env, args);
    assertThat(r.code()).as(String.join(" ", args) + "\n" + r.all()).isZero();
    return r;
  }

  private static Map<String, String> env(Path repo, Path keyset, PgCluster pg) {
    Map<String, String> env = new HashMap<>();
    if (pg != null) {
      env.putAll(pg.env());
      env.put("PG_BIN_DIR", pg.binDir().toString());
    }
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("BACKUP_CLUSTER_NAME", "aido-prod");
    return env;
  }

  /** A new server: initdb'd, so it has a system identifier of its own as a rebuilt one does. */
  private static PgCluster server() {
    return PgCluster.builder()
        .ownSystemIdentifier()
        .walLevel("replica")
        .maxWalSenders(4)
        .setting("max_replication_slots", "4")
        .start();
  }

  /** {@code kubectl apply}: create, or update what exists. */
  private static void apply(KubernetesClient client, List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      client.resource(o).createOr(NonDeletingOperation::update);
    }
  }

  /** The runbook's loop of {@code kubectl patch cronjob ... --type=merge -p suspend}. */
  private static void suspendAll(KubernetesClient client, boolean suspend) {
    for (CronJob c : client.batch().v1().cronjobs().inNamespace("aido-backup").list().getItems()) {
      client
          .batch()
          .v1()
          .cronjobs()
          .inNamespace("aido-backup")
          .withName(c.getMetadata().getName())
          .patch(
              new PatchContext.Builder()
                  .withPatchType(PatchType.JSON_MERGE)
                  .withFieldManager("kubectl-patch")
                  .build(),
              "{\"spec\":{\"suspend\":" + suspend + "}}");
    }
  }

  private static List<Boolean> suspended(KubernetesClient client) {
    return client.batch().v1().cronjobs().inNamespace("aido-backup").list().getItems().stream()
        .map(c -> Boolean.TRUE.equals(c.getSpec().getSuspend()))
        .toList();
  }

  private static String backupId(CommandRun listing) {
    Matcher m = Pattern.compile("\\b(\\d{8}T\\d{6}Z-[0-9a-f]{6})\\b").matcher(listing.out());
    assertThat(m.find()).as(listing.all()).isTrue();
    return m.group(1);
  }

  @Test
  void siteFailure_stepsTwoToEight_jobsResumedAndWalArchiveAccepted() throws Exception {
    Path repo = dir.resolve("aido-prod");
    Path keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    List<HasMetadata> toolkit = Project.objects("overlays/gke");

    // the old site, before the failure: the app, the toolkit installed, and its backups
    oldDb = server();
    oldDb.createDatabase("todo");
    oldDb.psql(
        "todo",
        "CREATE TABLE todos (id int PRIMARY KEY, title text);"
            + " INSERT INTO todos SELECT g, 'todo ' || g FROM generate_series(1, 500) g");
    oldSite = MockCluster.start();
    try (KubernetesClient client = oldSite.client()) {
      client.load(new ByteArrayInputStream(APP.getBytes(StandardCharsets.UTF_8))).create();
      apply(client, toolkit);
    }
    Map<String, String> oldEnv = env(repo, keyset, oldDb);
    ok(new io.aido.backup.db.Main(), oldEnv, "backup", "--database", "todo");
    ok(new io.aido.backup.db.Main(), oldEnv, "wal-archive");
    ok(new io.aido.backup.manifests.Main(oldSite.clients()), oldEnv, "export");
    // the site is gone
    oldSite.close();
    oldDb.close();

    // step 2: the toolkit in the new cluster, its schedules suspended at once
    newSite = MockCluster.start();
    Supplier<KubernetesClient> clients = newSite.clients();
    try (KubernetesClient client = newSite.client()) {
      client
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName("aido-backup")
                  .endMetadata()
                  .build())
          .create();
      client
          .resource(new NamespaceBuilder().withNewMetadata().withName("todo").endMetadata().build())
          .create();
      apply(client, toolkit);
      suspendAll(client, true);
      assertThat(suspended(client)).isNotEmpty().containsOnly(true);
    }

    // step 3: the backups by id, and a full read of each
    Map<String, String> siteEnv = env(repo, keyset, null);
    String manifests =
        backupId(
            ok(
                new io.aido.backup.manifests.Main(clients),
                siteEnv,
                "catalog",
                "list",
                "--kind",
                "manifests"));
    String dump =
        backupId(
            ok(new io.aido.backup.db.Main(), siteEnv, "catalog", "list", "--kind", "db-logical"));
    ok(new io.aido.backup.verify.Main(), siteEnv, "verify", "--all", "--no-freshness");

    // step 4: the manifests, a dry run and then the real one; the toolkit's own objects are
    // left as step 2 installed them
    CommandRun dry =
        ok(
            new io.aido.backup.manifests.Main(clients),
            siteEnv,
            "restore",
            "--backup-id",
            manifests,
            "--dry-run");
    assertThat(dry.out()).contains("would create Deployment.apps todo/todo-chatbot");
    CommandRun restored =
        ok(
            new io.aido.backup.manifests.Main(clients),
            siteEnv,
            "restore",
            "--backup-id",
            manifests);
    assertThat(restored.out())
        .contains("created Deployment.apps todo/todo-chatbot")
        .contains("skipped CronJob.batch aido-backup/db-backup")
        .doesNotContain("failed ");
    try (KubernetesClient client = newSite.client()) {
      assertThat(suspended(client)).isNotEmpty().containsOnly(true);
      // the application stays stopped until its data is back
      client.apps().deployments().inNamespace("todo").withName("todo-chatbot").scale(0);
    }

    // step 5: the dump into the new, empty PostgreSQL
    newDb = server();
    Map<String, String> newEnv = env(repo, keyset, newDb);
    ok(
        new io.aido.backup.db.Main(),
        newEnv,
        "restore",
        "--backup-id",
        dump,
        "--target-database",
        "todo",
        "--create");
    assertThat(newDb.psql("todo", "SELECT count(*) FROM todos")).isEqualTo("500");

    // step 6: the application at the restored release (no controller runs its pods here)
    try (KubernetesClient client = newSite.client()) {
      client.apps().deployments().inNamespace("todo").withName("todo-chatbot").scale(2);
      Deployment app =
          client.apps().deployments().inNamespace("todo").withName("todo-chatbot").get();
      assertThat(app.getSpec().getReplicas()).isEqualTo(2);
    }

    // step 8: the old repository's WAL is another cluster's: wal-archive refuses it, naming the
    // remedy, and the runbook follows it: a new prefix, a base backup, then wal-archive
    CommandRun refused = run(new io.aido.backup.db.Main(), newEnv, "wal-archive");
    assertThat(refused.code()).as(refused.all()).isEqualTo(2);
    String suggested =
        "aido-prod-" + newDb.psql("postgres", "SELECT system_identifier FROM pg_control_system()");
    assertThat(refused.err())
        .contains("set BACKUP_STORAGE_URL to a new prefix")
        .contains(suggested)
        .contains("run base-backup, then wal-archive");
    Matcher prefix = Pattern.compile("such as '([^']+)'").matcher(refused.err());
    assertThat(prefix.find()).isTrue();
    Map<String, String> site2 = new HashMap<>(newEnv);
    site2.put("BACKUP_STORAGE_URL", prefix.group(1));
    try (KubernetesClient client = newSite.client()) {
      suspendAll(client, false);
      assertThat(suspended(client)).isNotEmpty().containsOnly(false);
    }
    ok(new io.aido.backup.db.Main(), site2, "backup", "--database", "todo");
    ok(new io.aido.backup.db.Main(), site2, "base-backup");
    CommandRun accepted = ok(new io.aido.backup.db.Main(), site2, "wal-archive");
    assertThat(accepted.out()).contains("archived WAL of server");
    ok(new io.aido.backup.verify.Main(), site2, "verify", "--all", "--no-freshness");
    // the old repository stays readable for its backups
    assertThat(
            ok(new io.aido.backup.db.Main(), siteEnv, "catalog", "list", "--kind", "db-logical")
                .out())
        .contains(dump);
  }
}
