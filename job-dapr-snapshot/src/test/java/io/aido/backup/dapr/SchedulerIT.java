package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.EtcdServer;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.Processes;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dapr Scheduler's reminders and jobs end to end: a real etcd (Debian's etcd-server, started by
 * the test) holding keys as Dapr 1.15+'s Scheduler lays them out ({@link SchedulerKey} cites the
 * Dapr and go-etcd-cron sources), values shaped as go-etcd-cron's {@code stored.Job}; {@code
 * snapshot} and {@code restore} through {@code --scheduler-endpoints}; a file:// repository.
 *
 * <p>The Kubernetes API is fabric8's mock server in CRUD mode (no API server can run here): it
 * serves the dapr.io group for the resource listing and holds no dapr-scheduler-server, which the
 * auto-discovery test relies on. The port-forward to a Scheduler pod is not exercised here.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class SchedulerIT {
  private static final String NS = "todo";
  private static EtcdServer etcd;
  private static Client etcdClient;

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;
  private final Instant now = Instant.now();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    etcdClient = Client.builder().endpoints(etcd.endpoint()).build();
  }

  @AfterAll
  static void stopEtcd() {
    etcdClient.close();
    etcd.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
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
    etcdClient
        .getKVClient()
        .delete(bytes("dapr/"), DeleteOption.builder().isPrefix(true).build())
        .get();
    seed();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /**
   * A value shaped as go-etcd-cron's {@code stored.Job}: partition_id (1), start (2) or due_time
   * (3) as a {@code google.protobuf.Timestamp}, and an opaque job spec (5).
   */
  static byte[] storedJob(int beginField, Instant begin, String spec) throws IOException {
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    CodedOutputStream t = CodedOutputStream.newInstance(ts);
    t.writeInt64(1, begin.getEpochSecond());
    t.writeInt32(2, begin.getNano());
    t.flush();
    ByteArrayOutputStream job = new ByteArrayOutputStream();
    CodedOutputStream j = CodedOutputStream.newInstance(job);
    j.writeUInt32(1, 42);
    j.writeByteArray(beginField, ts.toByteArray());
    j.writeByteArray(5, spec.getBytes(StandardCharsets.UTF_8));
    j.flush();
    return job.toByteArray();
  }

  private static void put(String key, byte[] value, long lease) throws Exception {
    etcdClient
        .getKVClient()
        .put(
            bytes(key),
            ByteSequence.from(value),
            lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build())
        .get();
  }

  private void seed() throws Exception {
    put(
        SchedulerKey.reminderJobKey(NS, "TodoActor", "1", "remind-9am"),
        storedJob(3, now.minus(Duration.ofHours(1)), "{\"data\":\"call mom\"}"),
        0);
    put(
        SchedulerKey.reminderJobKey(NS, "TodoActor", "2", "daily"),
        storedJob(2, now.minus(Duration.ofDays(1)), "@every 24h"),
        0);
    put(
        SchedulerKey.COUNTERS + "actorreminder||todo||TodoActor||2||daily",
        new byte[] {8, 42, 16, 3},
        0);
    put(
        SchedulerKey.reminderJobKey(NS, "TimerActor", "1", "t"),
        storedJob(3, now.plus(Duration.ofHours(1)), "t"),
        0);
    long lease = etcdClient.getLeaseClient().grant(600).get().getID();
    put(
        SchedulerKey.appJobKey(NS, "todo-app", "cleanup"),
        storedJob(3, now.plus(Duration.ofDays(1)), "cleanup"),
        lease);
    put(SchedulerKey.appJobKey("other", "x-app", "j"), storedJob(3, now, "x"), 0);
    long leadership = etcdClient.getLeaseClient().grant(60).get().getID();
    put("dapr/leadership/0", new byte[] {8, 1}, leadership);
  }

  /** Every key under dapr/: value in hex, and whether it has a lease. */
  private static Map<String, String> content() throws Exception {
    Map<String, String> c = new TreeMap<>();
    for (KeyValue kv :
        etcdClient
            .getKVClient()
            .get(bytes("dapr/"), GetOption.builder().isPrefix(true).build())
            .get()
            .getKvs()) {
      c.put(
          kv.getKey().toString(),
          HexFormat.of().formatHex(kv.getValue().getBytes())
              + (kv.getLease() != 0 ? " leased" : ""));
    }
    return c;
  }

  private static Map<String, String> todo(Map<String, String> all) {
    Map<String, String> c = new TreeMap<>(all);
    c.keySet().removeIf(k -> !k.contains("||todo||"));
    return c;
  }

  private static void wipeTodo() throws Exception {
    for (String k : todo(content()).keySet()) {
      etcdClient.getKVClient().delete(bytes(k)).get();
    }
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("BACKUP_KUBERNETES_URL", client.getMasterUrl().toString());
    env.put("BACKUP_NAMESPACE", NS);
    env.put("BACKUP_SCHEDULER_ENDPOINTS", etcd.endpoint());
    return env;
  }

  private CommandRun run(Map<String, String> env, String... args) {
    return CommandRun.of(new Main()::execute, env, args);
  }

  private CommandRun run(String... args) {
    return run(env(), args);
  }

  private List<Path> records() throws IOException {
    Path catalog = repo.resolve("catalog/dapr");
    if (!Files.isDirectory(catalog)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(catalog)) {
      return s.sorted().toList();
    }
  }

  @Test
  void snapshotWipeRestore_remindersJobsCountersAndLeasesBackByteIdentical() throws Exception {
    Map<String, String> before = content();
    long leaseBefore = leaseTtl(SchedulerKey.appJobKey(NS, "todo-app", "cleanup"));

    CommandRun snap = run("snapshot");

    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
    assertThat(snap.out()).contains("Scheduler: 3 reminder(s)", "1 job(s)", "1 counter(s)");
    assertThat(records()).hasSize(1);
    assertThat(Files.readString(records().get(0)))
        .contains("\"scheduler.dss\"", "\"reminders\" : 3", "\"jobs\" : 1", "\"counters\" : 1")
        .contains("\"TodoActor\" : 2", "\"TimerActor\" : 1", "\"todo-app\" : 1")
        .contains("\"byNamespace\"", "\"todo\" : 4")
        .contains("\"leased\" : 1");

    wipeTodo();
    assertThat(todo(content())).isEmpty();
    CommandRun restore = run("restore", "--backup-id", "latest");

    assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
    assertThat(restore.out())
        .contains("recorded 4 reminder(s) and job(s), restored 4")
        .contains("1 due while away")
        .doesNotContain("DIFFERS");
    assertThat(content()).isEqualTo(before);
    long leaseAfter = leaseTtl(SchedulerKey.appJobKey(NS, "todo-app", "cleanup"));
    assertThat(leaseAfter).isPositive().isLessThanOrEqualTo(leaseBefore);
  }

  private static long leaseTtl(String key) throws Exception {
    long lease = etcdClient.getKVClient().get(bytes(key)).get().getKvs().get(0).getLease();
    return etcdClient.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get().getTTL();
  }

  @Test
  void restore_liveEntries_refusedWithoutCleanNothingWritten_cleanReplacesExactly()
      throws Exception {
    Map<String, String> before = content();
    assertThat(run("snapshot").code()).isZero();
    put(
        SchedulerKey.reminderJobKey(NS, "TodoActor", "1", "remind-9am"),
        storedJob(3, now, "changed"),
        0);
    put(SchedulerKey.reminderJobKey(NS, "TodoActor", "9", "new"), storedJob(3, now, "new"), 0);
    Map<String, String> changed = content();

    CommandRun refused = run("restore", "--backup-id", "latest");

    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .contains("holds 6 reminder, job or counter entries in the restore's scope")
        .contains("--clean")
        .contains("nothing was restored");
    assertThat(content()).isEqualTo(changed);

    CommandRun cleaned = run("restore", "--backup-id", "latest", "--clean");

    assertThat(cleaned.code()).as(cleaned.err() + cleaned.out()).isZero();
    assertThat(cleaned.out()).contains("6 removed by --clean");
    assertThat(content()).isEqualTo(before);
  }

  @Test
  void snapshotRestore_actorTypeFilter_onlyThatTypesReminders() throws Exception {
    CommandRun snap = run("snapshot", "--actor-type", "TodoActor");
    assertThat(snap.code()).as(snap.err()).isZero();
    assertThat(snap.out()).contains("Scheduler: 2 reminder(s)", "0 job(s)", "1 counter(s)");
    Map<String, String> before = content();

    wipeTodo();
    CommandRun restore =
        run("restore", "--backup-id", "latest", "--scheduler", "only", "--actor-type", "TodoActor");

    assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
    assertThat(restore.out()).contains("recorded 2 reminder(s) and job(s), restored 2");
    Map<String, String> expected = new TreeMap<>(before);
    expected.keySet().removeIf(k -> k.contains("||todo||") && !k.contains("TodoActor"));
    assertThat(content()).isEqualTo(expected);
  }

  @Test
  void snapshot_noSchedulerInTheCluster_autoWarnsAndRecordsIt_requiredFailsWithoutRecord()
      throws Exception {
    Map<String, String> env = new HashMap<>(env());
    env.remove("BACKUP_SCHEDULER_ENDPOINTS");

    CommandRun auto = run(env, "snapshot");

    assertThat(auto.code()).as(auto.err()).isZero();
    assertThat(auto.err())
        .contains(
            "warning: no Dapr Scheduler found (no StatefulSet dapr-system/dapr-scheduler-server)");
    assertThat(Files.readString(records().get(0))).contains("\"skipped\" : \"no StatefulSet");

    CommandRun required = run(env, "snapshot", "--scheduler", "required");

    assertThat(required.code()).isEqualTo(1);
    assertThat(required.err()).contains("--scheduler required").contains("nothing was written");
    assertThat(records()).hasSize(1);
  }

  @Test
  void snapshot_schedulerUnreachable_exit1NoRecord() throws Exception {
    Map<String, String> env = new HashMap<>(env());
    env.put("BACKUP_SCHEDULER_ENDPOINTS", "http://127.0.0.1:" + FreePort.find());

    CommandRun snap = run(env, "snapshot");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err())
        .contains("part scheduler.dss")
        .contains("Dapr Scheduler's etcd")
        .contains("no record was written");
    assertThat(records()).isEmpty();
  }

  @Test
  void restore_backupWithReminders_noSchedulerFound_exit1NothingRestored() throws Exception {
    assertThat(run("snapshot").code()).isZero();
    wipeTodo();
    Map<String, String> env = new HashMap<>(env());
    env.remove("BACKUP_SCHEDULER_ENDPOINTS");

    CommandRun restore = run(env, "restore", "--backup-id", "latest");

    assertThat(restore.code()).isEqualTo(1);
    assertThat(restore.err()).contains("--scheduler off").contains("nothing was restored");
    assertThat(todo(content())).isEmpty();
  }

  @Test
  void snapshot_processSigkilledMidRead_noRecord_nextRunSucceeds() throws Exception {
    byte[] big = new byte[2048];
    java.util.Arrays.fill(big, (byte) 'x');
    List<io.etcd.jetcd.op.Op> ops = new java.util.ArrayList<>();
    for (int i = 0; i < 30_000; i++) {
      ops.add(
          io.etcd.jetcd.op.Op.put(
              bytes(SchedulerKey.reminderJobKey(NS, "BulkActor", Integer.toString(i), "r")),
              ByteSequence.from(big),
              PutOption.DEFAULT));
      if (ops.size() == 100) {
        etcdClient.getKVClient().txn().Then(ops.toArray(io.etcd.jetcd.op.Op[]::new)).commit().get();
        ops.clear();
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "snapshot")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    child.environment().putAll(env());
    Process process = child.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!schedulerPartStarted()) {
        assertThat(process.isAlive())
            .as("the snapshot ended before it could be killed: %s", log())
            .isTrue();
        assertThat(System.nanoTime()).as("no part after 2 minutes").isLessThan(deadline);
        Thread.sleep(20);
      }
      Processes.killTree(process.toHandle());
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      Processes.killTree(process.toHandle());
    }

    assertThat(records()).isEmpty();
    CommandRun next = run("snapshot");
    assertThat(next.code()).as(next.err()).isZero();
    assertThat(next.out()).contains("30003 reminder(s)");
    assertThat(records()).hasSize(1);
  }

  @Test
  void snapshot_schedulerStatefulSetWithoutReadyPod_exit1NoRecord() throws Exception {
    client
        .apps()
        .statefulSets()
        .inNamespace("dapr-system")
        .resource(
            new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
                .withNewMetadata()
                .withName("dapr-scheduler-server")
                .endMetadata()
                .withNewSpec()
                .withReplicas(3)
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace("dapr-system")
        .resource(
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("dapr-scheduler-server-0")
                .endMetadata()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("False")
                .endCondition()
                .endStatus()
                .build())
        .create();
    Map<String, String> env = new HashMap<>(env());
    env.remove("BACKUP_SCHEDULER_ENDPOINTS");

    CommandRun snap = run(env, "snapshot");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err())
        .contains("unable to reach the Dapr Scheduler in namespace dapr-system")
        .contains("no ready pod of StatefulSet dapr-system/dapr-scheduler-server")
        .contains("nothing was written");
    assertThat(records()).isEmpty();
  }

  @Test
  void snapshot_schedulerLookupForbidden_exit1NamesTheRoleNoRecord() throws Exception {
    server
        .expect()
        .get()
        .withPath("/apis/apps/v1/namespaces/dapr-system/statefulsets/dapr-scheduler-server")
        .andReturn(
            403,
            new io.fabric8.kubernetes.api.model.StatusBuilder()
                .withStatus("Failure")
                .withReason("Forbidden")
                .withCode(403)
                .withMessage("statefulsets.apps \"dapr-scheduler-server\" is forbidden")
                .build())
        .always();
    Map<String, String> env = new HashMap<>(env());
    env.remove("BACKUP_SCHEDULER_ENDPOINTS");

    CommandRun snap = run(env, "snapshot");

    assertThat(snap.code()).isEqualTo(1);
    assertThat(snap.err())
        .contains("forbidden: this identity may not look up the Dapr Scheduler")
        .contains("Role aido-backup-dapr-snapshot-scheduler")
        .contains("--scheduler off");
    assertThat(records()).isEmpty();
  }

  /**
   * An etcd that serves clients over TLS and asks for a client certificate (a Scheduler's etcd
   * exposed on purpose): with the CA and client certificate the round trip works; without the
   * client certificate the snapshot fails and writes no record.
   */
  @Test
  void snapshotRestore_tlsEtcdWithClientCertificate_roundTrip_withoutCertificateExit1()
      throws Exception {
    try (EtcdServer tlsEtcd = EtcdServer.startTls()) {
      EtcdServer.Tls tls = tlsEtcd.tls();
      Map<String, String> env = new HashMap<>(env());
      env.put("BACKUP_SCHEDULER_ENDPOINTS", tlsEtcd.endpoint());
      env.put("BACKUP_SCHEDULER_CA_FILE", tls.ca().toString());

      CommandRun refused = run(env, "snapshot");

      assertThat(refused.code()).isEqualTo(1);
      assertThat(refused.err()).contains("Dapr Scheduler's etcd").contains("no record was written");
      assertThat(records()).isEmpty();

      env.put("BACKUP_SCHEDULER_CERT_FILE", tls.clientCert().toString());
      env.put("BACKUP_SCHEDULER_KEY_FILE", tls.clientKey().toString());
      try (Client c =
          Client.builder()
              .endpoints(tlsEtcd.endpoint())
              .sslContext(
                  b ->
                      b.trustManager(tls.ca().toFile())
                          .keyManager(tls.clientCert().toFile(), tls.clientKey().toFile()))
              .build()) {
        byte[] value = storedJob(3, now, "over tls");
        String key = SchedulerKey.reminderJobKey(NS, "TodoActor", "1", "tls");
        c.getKVClient().put(bytes(key), ByteSequence.from(value)).get();

        CommandRun snap = run(env, "snapshot");
        assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
        assertThat(snap.out()).contains("Scheduler: 1 reminder(s)");
        c.getKVClient().delete(bytes(key)).get();
        CommandRun restore = run(env, "restore", "--backup-id", "latest");

        assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
        assertThat(c.getKVClient().get(bytes(key)).get().getKvs().get(0).getValue().getBytes())
            .isEqualTo(value);
      }
    }
  }

  /**
   * Dapr's HA mode: three Scheduler replicas are one etcd cluster. The snapshot reads through one
   * member; the restore is given every member and still completes with one of them down, and every
   * member then holds the same entries.
   */
  @Test
  void snapshotFromOneMember_restoreThroughTheClusterWithAMemberDown() throws Exception {
    List<EtcdServer> cluster = EtcdServer.startCluster(3);
    try (Client c = Client.builder().endpoints(cluster.get(0).endpoint()).build()) {
      for (int i = 0; i < 250; i++) {
        c.getKVClient()
            .put(
                bytes(SchedulerKey.reminderJobKey(NS, "TodoActor", Integer.toString(i), "r")),
                ByteSequence.from(storedJob(3, now.plusSeconds(i), "r" + i)))
            .get();
      }
      Map<String, String> env = new HashMap<>(env());
      env.put("BACKUP_SCHEDULER_ENDPOINTS", cluster.get(1).endpoint());
      CommandRun snap = run(env, "snapshot");
      assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
      assertThat(snap.out()).contains("Scheduler: 250 reminder(s)");
      c.getKVClient().delete(bytes("dapr/"), DeleteOption.builder().isPrefix(true).build()).get();

      cluster.get(0).kill();
      env.put(
          "BACKUP_SCHEDULER_ENDPOINTS",
          String.join(",", cluster.stream().map(EtcdServer::endpoint).toList()));
      CommandRun restore = run(env, "restore", "--backup-id", "latest");

      assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
      assertThat(restore.out()).contains("restored 250");
      for (EtcdServer member : cluster.subList(1, 3)) {
        try (Client m = Client.builder().endpoints(member.endpoint()).build()) {
          assertThat(
                  m.getKVClient()
                      .get(
                          bytes("dapr/jobs/"),
                          GetOption.builder().isPrefix(true).withCountOnly(true).build())
                      .get()
                      .getCount())
              .as(member.toString())
              .isEqualTo(250);
        }
      }
    } finally {
      cluster.forEach(EtcdServer::close);
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("child.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /**
   * Whether a part after the first ({@code resources.yaml}, published) is being uploaded: its
   * temporary file is in the store's {@code .incoming} area and not yet published. Waiting for the
   * published {@code scheduler.dss} instead raced with the record written right after it.
   */
  private boolean schedulerPartStarted() throws IOException {
    Path data = repo.resolve("data");
    Path incoming = repo.resolve(io.aido.backup.core.storage.local.LocalBlobStore.INCOMING);
    if (!Files.isDirectory(data) || !Files.isDirectory(incoming)) {
      return false;
    }
    boolean resourcesPublished;
    try (Stream<Path> s = Files.walk(data)) {
      resourcesPublished = s.anyMatch(p -> p.getFileName().toString().equals("resources.yaml"));
    }
    if (!resourcesPublished) {
      return false;
    }
    try (Stream<Path> s = Files.list(incoming)) {
      // present from the part's first byte on, empty while compression holds back its output
      return s.findAny().isPresent();
    }
  }
}
