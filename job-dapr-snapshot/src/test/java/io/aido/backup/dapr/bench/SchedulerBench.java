package io.aido.backup.dapr.bench;

import com.google.protobuf.CodedOutputStream;
import com.sun.net.httpserver.HttpServer;
import io.aido.backup.dapr.SchedulerKey;
import io.aido.backup.testing.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Dapr Scheduler side of {@code bench/dapr-scheduler-bench.sh}: a throwaway etcd
 * (backup-testing) filled with {@code REMINDERS} actor reminders laid out as Dapr's Scheduler
 * writes them (10 actor types, a {@code stored.Job}-shaped value of about 200 bytes, one in two
 * with a counter, as a reminder that fired), and a minimal stand-in for the Kubernetes API that
 * serves the dapr.io group with no Components (no API server can run on the build machine; the job
 * only lists Dapr resources there, the data path under test is etcd). Writes {@code <etcd endpoint>
 * <api url>} to {@code READY_FILE} once full, then runs until killed.
 *
 * <pre>
 * java -cp ... io.aido.backup.dapr.bench.SchedulerBench REMINDERS READY_FILE
 * </pre>
 */
public final class SchedulerBench {
  private SchedulerBench() {}

  public static void main(String[] args) throws Exception {
    int reminders = Integer.parseInt(args[0]);
    Path ready = Path.of(args[1]);
    EtcdServer etcd = EtcdServer.start();
    Runtime.getRuntime().addShutdownHook(new Thread(etcd::close));
    long start = System.nanoTime();
    try (Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
      List<Op> ops = new ArrayList<>();
      List<CompletableFuture<?>> pending = new ArrayList<>();
      Instant due = Instant.now().plusSeconds(86_400);
      for (int i = 0; i < reminders; i++) {
        String type = "TodoActor" + (i % 10);
        String name =
            String.join("||", "actorreminder", "todo", type, "user-" + i, "remind-" + (i % 7));
        ops.add(
            Op.put(
                bytes(SchedulerKey.JOBS + name),
                ByteSequence.from(storedJob(due.plusSeconds(i), i)),
                PutOption.DEFAULT));
        if (i % 2 == 0) {
          ops.add(
              Op.put(
                  bytes(SchedulerKey.COUNTERS + name),
                  ByteSequence.from(new byte[] {8, 42, 16, 1}),
                  PutOption.DEFAULT));
        }
        if (ops.size() >= 100) {
          pending.add(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
          ops.clear();
          if (pending.size() >= 16) {
            for (CompletableFuture<?> f : pending) {
              f.get();
            }
            pending.clear();
          }
        }
      }
      if (!ops.isEmpty()) {
        pending.add(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
      }
      for (CompletableFuture<?> f : pending) {
        f.get();
      }
    }
    HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String body =
              switch (path) {
                case "/apis" ->
                    "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[" + GROUP + "]}";
                case "/apis/dapr.io" -> GROUP;
                case "/apis/dapr.io/v1alpha1" ->
                    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
                        + "\"dapr.io/v1alpha1\",\"resources\":[{\"name\":\"components\","
                        + "\"singularName\":\"component\",\"namespaced\":true,\"kind\":"
                        + "\"Component\",\"verbs\":[\"get\",\"list\"]}]}";
                default ->
                    path.endsWith("/components")
                        ? "{\"apiVersion\":\"dapr.io/v1alpha1\",\"kind\":\"ComponentList\","
                            + "\"metadata\":{},\"items\":[]}"
                        : null;
              };
          byte[] b =
              (body == null ? "{\"kind\":\"Status\",\"code\":404}" : body)
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(body == null ? 404 : 200, b.length);
          exchange.getResponseBody().write(b);
          exchange.close();
        });
    api.start();
    String url = "http://127.0.0.1:" + api.getAddress().getPort();
    Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
    Files.writeString(tmp, etcd.endpoint() + " " + url + "\n");
    Files.move(tmp, ready);
    System.out.printf(
        "etcd %s with %d reminders (and %d counters) in %.1f s; API stand-in at %s%n",
        etcd.endpoint(), reminders, (reminders + 1) / 2, (System.nanoTime() - start) / 1e9, url);
    Thread.currentThread().join();
  }

  private static final String GROUP =
      "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"dapr.io\",\"versions\":"
          + "[{\"groupVersion\":\"dapr.io/v1alpha1\",\"version\":\"v1alpha1\"}],"
          + "\"preferredVersion\":{\"groupVersion\":\"dapr.io/v1alpha1\",\"version\":\"v1alpha1\"}}";

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** A go-etcd-cron {@code stored.Job}: partition id, due time, a job spec of about 150 bytes. */
  private static byte[] storedJob(Instant due, int i) throws IOException {
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    CodedOutputStream t = CodedOutputStream.newInstance(ts);
    t.writeInt64(1, due.getEpochSecond());
    t.flush();
    ByteArrayOutputStream job = new ByteArrayOutputStream();
    CodedOutputStream j = CodedOutputStream.newInstance(job);
    j.writeUInt32(1, i);
    j.writeByteArray(3, ts.toByteArray());
    j.writeByteArray(
        5,
        ("{\"schedule\":\"@every 24h\",\"repeats\":0,\"payload\":{\"@type\":\"type.googleapis.com/"
                + "google.protobuf.BytesValue\",\"value\":\"remind user "
                + i
                + " to water the plants\"}}")
            .getBytes(StandardCharsets.UTF_8));
    j.flush();
    return job.toByteArray();
  }
}
