package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.dapr.SchedulerKey;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.EtcdServer;
import io.aido.backup.testing.Processes;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The drill's {@code dapr} step with the Dapr Scheduler: a source etcd holding reminders, a job and
 * a counter laid out as Dapr 1.15+'s Scheduler writes them (as job-dapr-snapshot's {@code
 * SchedulerIT} seeds them), snapshotted by job-dapr-snapshot's own {@code snapshot --scheduler
 * only}, then drilled into a second, scratch etcd ({@code --scratch-scheduler-endpoints}). Both are
 * real etcd servers; the Kubernetes API the snapshot lists Components from is fabric8's mock
 * server.
 *
 * <p>After every run the scratch etcd holds nothing under {@code dapr/} and the source etcd is as
 * it was.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class DaprSchedulerDrillIT {
  private static final String NS = "todo";

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static EtcdServer source;
  private static EtcdServer scratch;
  private static Client sourceClient;
  private static Client scratchClient;
  private static Path dir;
  private static Path repo;
  private static Path keyset;
  private static Map<String, String> sourceBefore;

  @BeforeAll
  static void snapshotWithReminders() throws Exception {
    source = EtcdServer.start();
    scratch = EtcdServer.start();
    sourceClient = Client.builder().endpoints(source.endpoint()).build();
    scratchClient = Client.builder().endpoints(scratch.endpoint()).build();
    dir = Files.createTempDirectory("dapr-scheduler-drill-it-");
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    DaprApiMock.serve(server);
    Instant now = Instant.now();
    put(
        sourceClient,
        SchedulerKey.reminderJobKey(NS, "TodoActor", "1", "remind-9am"),
        storedJob(3, now.plus(Duration.ofHours(1)), "{\"data\":\"call mom\"}"));
    put(
        sourceClient,
        SchedulerKey.reminderJobKey(NS, "TodoActor", "2", "daily"),
        storedJob(2, now.minus(Duration.ofDays(1)), "@every 24h"));
    put(
        sourceClient,
        SchedulerKey.COUNTERS + "actorreminder||todo||TodoActor||2||daily",
        new byte[] {8, 42, 16, 3});
    put(
        sourceClient,
        SchedulerKey.reminderJobKey(NS, "TimerActor", "1", "t"),
        storedJob(3, now.plus(Duration.ofHours(2)), "t"));
    put(
        sourceClient,
        SchedulerKey.appJobKey(NS, "todo-app", "cleanup"),
        storedJob(3, now.plus(Duration.ofDays(1)), "cleanup"));
    sourceBefore = content(sourceClient);

    Map<String, String> env = env();
    env.put("BACKUP_KUBERNETES_URL", client.getMasterUrl().toString());
    env.put("BACKUP_NAMESPACE", NS);
    env.put("BACKUP_SCHEDULER_ENDPOINTS", source.endpoint());
    CommandRun snap =
        CommandRun.of(
            new io.aido.backup.dapr.Main()::execute, env, "snapshot", "--scheduler", "only");
    assertThat(snap.code()).as(snap.err() + snap.out()).isZero();
    assertThat(snap.out()).contains("Scheduler: 3 reminder(s)", "1 job(s)", "1 counter(s)");
  }

  @AfterAll
  static void stop() {
    scratchClient.close();
    sourceClient.close();
    scratch.close();
    source.close();
    Processes.deleteTree(dir);
  }

  @AfterEach
  void scratchEmptySourceUntouched() throws Exception {
    assertThat(content(scratchClient)).isEmpty();
    assertThat(content(sourceClient)).isEqualTo(sourceBefore);
  }

  @Test
  void drill_snapshotWithReminders_restoredCountedAndScratchEtcdEmptiedAfterwards() {
    CommandRun r =
        drill("--skip", "dump,pitr,manifests", "--scratch-scheduler-endpoints", scratch.endpoint());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("recorded 4 reminder(s) and job(s), restored 4")
        .contains(
            "the Dapr Scheduler: 3 reminder(s) and 1 job(s), as recorded; 5 key(s) with their"
                + " counters read back from scratch etcd "
                + scratch.endpoint())
        .contains("dapr: passed")
        .doesNotContain("DIFFERS", "not drilled");
  }

  @Test
  void drill_nonEmptyScratchEtcd_refusedExit1NothingWrittenAndItsKeysLeftAlone() throws Exception {
    put(scratchClient, SchedulerKey.appJobKey("other", "x-app", "j"), new byte[] {1});
    put(scratchClient, "dapr/leadership/0", new byte[] {8, 1});
    Map<String, String> before = content(scratchClient);

    CommandRun r =
        drill("--skip", "dump,pitr,manifests", "--scratch-scheduler-endpoints", scratch.endpoint());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out())
        .contains("dapr: error")
        .contains(
            "scratch Dapr Scheduler: scratch etcd "
                + scratch.endpoint()
                + " holds 2 key(s) under dapr/; give an empty one (nothing was written)")
        .doesNotContain("restored 4");
    assertThat(content(scratchClient)).isEqualTo(before);
    scratchClient
        .getKVClient()
        .delete(bytes("dapr/"), DeleteOption.builder().isPrefix(true).build())
        .get();
  }

  @Test
  void drill_noScratchScheduler_notesTheOptionAndTouchesNoEtcd() {
    CommandRun r = drill("--skip", "dump,pitr,manifests");

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains(
            "the Dapr Scheduler's reminders and jobs were not drilled: give"
                + " --scratch-scheduler-endpoints (an empty scratch etcd) to restore them")
        .doesNotContain("restored 4");
  }

  @Test
  void drill_scratchSchedulerEndpointNotAUrl_exit2() {
    CommandRun r = drill("--skip", "dump,pitr,manifests", "--scratch-scheduler-endpoints", "etcd");

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains("--scratch-scheduler-endpoints", "'etcd' is not an http(s)://");
  }

  private static CommandRun drill(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "drill";
    System.arraycopy(args, 0, all, 1, args.length);
    return CommandRun.of(new Main()::execute, env(), all);
  }

  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    return env;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static void put(Client etcd, String key, byte[] value) throws Exception {
    etcd.getKVClient().put(bytes(key), ByteSequence.from(value)).get();
  }

  /** Every key under dapr/ with its value in hex. */
  private static Map<String, String> content(Client etcd) throws Exception {
    Map<String, String> c = new TreeMap<>();
    for (KeyValue kv :
        etcd.getKVClient()
            .get(bytes("dapr/"), GetOption.builder().isPrefix(true).build())
            .get()
            .getKvs()) {
      c.put(kv.getKey().toString(), HexFormat.of().formatHex(kv.getValue().getBytes()));
    }
    return c;
  }

  /**
   * A value shaped as go-etcd-cron's {@code stored.Job}: partition_id (1), start (2) or due_time
   * (3) as a {@code google.protobuf.Timestamp}, and an opaque job spec (5).
   */
  private static byte[] storedJob(int beginField, Instant begin, String spec) throws IOException {
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
}
