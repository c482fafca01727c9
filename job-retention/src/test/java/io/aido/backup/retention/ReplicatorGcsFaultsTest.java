package io.aido.backup.retention;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.gcs.GcsStorages;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Replicator} against HTTP faults of GCS. WireMock is a test double for the GCS JSON API (no
 * real GCS can run here, and LocalStorageHelper has no HTTP layer to break); its stubs follow the
 * requests the client really sends (see core's {@code GcsBlobStoreHttpFaultsTest}): metadata {@code
 * GET /storage/v1/b/B/o/NAME}, media {@code GET /download/storage/v1/b/B/o/NAME?alt=media}, listing
 * {@code GET /storage/v1/b/B/o?prefix=P}, a resumable upload's {@code POST
 * /upload/storage/v1/b/B/o?name=NAME} and its finalizing {@code PUT}. The other side is a real
 * filesystem repository.
 */
class ReplicatorGcsFaultsTest {
  private static final String BUCKET = "dr";
  private static final String PREFIX = "repo/";
  private static final String UPLOAD_PATH = "/upload/storage/v1/b/dr/o";

  @TempDir Path dir;
  private WireMockServer server;
  private GcsBlobStore gcs;
  private ReplicaFixture fixture;
  private LocalBlobStore local;
  private int uploads;

  @BeforeEach
  void start() throws Exception {
    server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
    server.start();
    // backoff of milliseconds keeps the retry tests fast; production uses seconds
    gcs =
        new GcsBlobStore(
            GcsStorages.forEndpoint(
                server.baseUrl(),
                GcsStorages.retrySettings(
                    4, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(20))),
            BUCKET,
            "repo",
            GcsBlobStore.CHUNK_GRANULARITY);
    fixture = new ReplicaFixture(dir);
    local = new LocalBlobStore(dir.resolve("local"));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static String objectPath(String key) {
    return "/storage/v1/b/dr/o/"
        + URLEncoder.encode(PREFIX + key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  private static String objectJson(String key, long size) {
    return "{\"bucket\":\"dr\",\"name\":\""
        + PREFIX
        + key
        + "\",\"size\":\""
        + size
        + "\",\"generation\":\"1700000000000001\",\"timeCreated\":\"2026-11-24T02:00:00.000Z\"}";
  }

  private static String error(int code) {
    return "{\"error\":{\"code\":" + code + ",\"message\":\"fault " + code + "\"}}";
  }

  private static ResponseDefinitionBuilder media(byte[] content) {
    return aResponse()
        .withStatus(206)
        .withHeader("Content-Range", "bytes 0-" + (content.length - 1) + "/" + content.length)
        .withBody(content);
  }

  /** An object GCS holds: its metadata and bytes; the first read answers {@code firstRead}. */
  private void serve(String key, byte[] content, ResponseDefinitionBuilder firstRead) {
    server.stubFor(
        get(urlPathEqualTo(objectPath(key)))
            .willReturn(json(200, objectJson(key, content.length))));
    String scenario = "read " + key;
    server.stubFor(
        get(urlPathEqualTo("/download" + objectPath(key)))
            .inScenario(scenario)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("read once")
            .willReturn(firstRead == null ? media(content) : firstRead));
    server.stubFor(
        get(urlPathEqualTo("/download" + objectPath(key)))
            .inScenario(scenario)
            .whenScenarioStateIs("read once")
            .willReturn(media(content)));
  }

  /** A listing of {@code prefix} that holds {@code objects} (key to size). */
  private void listing(String prefix, Map<String, Integer> objects) {
    StringBuilder items = new StringBuilder();
    objects.forEach(
        (k, size) -> items.append(items.length() == 0 ? "" : ",").append(objectJson(k, size)));
    server.stubFor(
        get(urlPathEqualTo("/storage/v1/b/dr/o"))
            .withQueryParam("prefix", equalTo(PREFIX + prefix))
            .willReturn(json(200, "{\"kind\":\"storage#objects\",\"items\":[" + items + "]}")));
  }

  /**
   * An object GCS does not hold yet: its upload is started (after {@code firstStart}, when given)
   * and finalized, after which it has {@code content}. The test checks that the finalizing request
   * really carried {@code content}.
   */
  private String upload(String key, byte[] content, ResponseDefinitionBuilder firstStart) {
    String id = "u" + uploads++;
    String object = "object " + key;
    server.stubFor(
        get(urlPathEqualTo(objectPath(key)))
            .inScenario(object)
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(json(404, error(404))));
    server.stubFor(
        get(urlPathEqualTo(objectPath(key)))
            .inScenario(object)
            .whenScenarioStateIs("created")
            .willReturn(json(200, objectJson(key, content.length))));
    server.stubFor(
        get(urlPathEqualTo("/download" + objectPath(key)))
            .inScenario(object)
            .whenScenarioStateIs("created")
            .willReturn(media(content)));
    ResponseDefinitionBuilder session =
        aResponse()
            .withStatus(200)
            .withHeader(
                "Location",
                server.baseUrl() + UPLOAD_PATH + "?uploadType=resumable&upload_id=" + id);
    String start = "start " + key;
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("name", equalTo(PREFIX + key))
            .inScenario(start)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("faulted once")
            .willReturn(firstStart == null ? session : firstStart));
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("name", equalTo(PREFIX + key))
            .inScenario(start)
            .whenScenarioStateIs("faulted once")
            .willReturn(session));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("upload_id", equalTo(id))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/" + content.length))
            .inScenario(object)
            .willSetStateTo("created")
            .willReturn(json(200, objectJson(key, content.length))));
    return id;
  }

  /** Every object of the local repository's backup, as the secondary must receive it. */
  private Map<String, byte[]> backupObjects(BackupRecord r) throws Exception {
    Map<String, byte[]> objects = new LinkedHashMap<>();
    Map<String, byte[]> data = ReplicaFixture.contents(local, Layout.dataPrefix(r.kind(), r.id()));
    objects.putAll(data);
    objects.putAll(ReplicaFixture.contents(local, Layout.record(r.kind(), r.id()).name()));
    return objects;
  }

  /** GCS as the secondary: it already is a repository, and holds no backup or WAL yet. */
  private void emptySecondary() throws Exception {
    serve("format.json", ReplicaFixture.contents(local, "format.json").get("format.json"), null);
    listing(Layout.CATALOG, Map.of());
    listing(Layout.WAL, Map.of());
  }

  private List<LoggedRequest> finalizingPuts() {
    List<LoggedRequest> puts =
        new ArrayList<>(server.findAll(putRequestedFor(urlPathEqualTo(UPLOAD_PATH))));
    puts.removeIf(r -> !r.getHeader("Content-Range").matches("bytes \\d+-\\d+/\\d+"));
    puts.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
    return puts;
  }

  private Replicator.Report replicate(BlobReader from, BlobStore to) throws Exception {
    return new Replicator(from, to, Instant.now(), line -> {}).run();
  }

  @Test
  void upload_429And503OnStart_retriedAndEveryObjectArrivesRecordLast() throws Exception {
    BackupRecord r = fixture.backup(local, 20_000);
    emptySecondary();
    Map<String, byte[]> objects = backupObjects(r);
    Map<String, String> ids = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, byte[]> o : objects.entrySet()) {
      int status = i++ % 2 == 0 ? 429 : 503;
      ids.put(o.getKey(), upload(o.getKey(), o.getValue(), json(status, error(status))));
    }

    Replicator.Report report = replicate(local, gcs);

    assertThat(report.failed()).as(report.summary()).isFalse();
    assertThat(report.backupsCopied()).isEqualTo(1);
    server.verify(2 * objects.size(), postRequestedFor(urlPathEqualTo(UPLOAD_PATH)));
    List<LoggedRequest> puts = finalizingPuts();
    assertThat(puts).hasSize(objects.size());
    for (LoggedRequest put : puts) {
      String key =
          ids.entrySet().stream()
              .filter(e -> e.getValue().equals(put.queryParameter("upload_id").firstValue()))
              .findFirst()
              .orElseThrow()
              .getKey();
      assertThat(put.getBody()).as(key).isEqualTo(objects.get(key));
    }
    assertThat(puts.get(puts.size() - 1).queryParameter("upload_id").firstValue())
        .as("the record is finalized last")
        .isEqualTo(ids.get(Layout.record(r.kind(), r.id()).name()));
  }

  @Test
  void upload_503Always_backupFailsAndItsRecordIsNeverSent() throws Exception {
    BackupRecord r = fixture.backup(local, 20_000);
    emptySecondary();
    for (Map.Entry<String, byte[]> o : backupObjects(r).entrySet()) {
      upload(o.getKey(), o.getValue(), null);
    }
    // every start of an upload fails, more often than the client retries
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH)).atPriority(1).willReturn(json(503, error(503))));

    Replicator.Report report = replicate(local, gcs);

    assertThat(report.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.id()).isEqualTo(r.id());
              assertThat(f.message()).contains("no record was written in gs://dr/repo");
            });
    assertThat(finalizingPuts()).isEmpty();
    server.verify(
        0,
        postRequestedFor(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("name", equalTo(PREFIX + Layout.record(r.kind(), r.id()).name())));
  }

  @Test
  void upload_connectionResetOnFinalize_backupFailsAndItsRecordIsNeverSent() throws Exception {
    BackupRecord r = fixture.backup(local, 20_000);
    emptySecondary();
    for (Map.Entry<String, byte[]> o : backupObjects(r).entrySet()) {
      upload(o.getKey(), o.getValue(), null);
    }
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .atPriority(1)
            .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    Replicator.Report report = replicate(local, gcs);

    assertThat(report.failures())
        .singleElement()
        .satisfies(f -> assertThat(f.id()).isEqualTo(r.id()));
    server.verify(
        0,
        postRequestedFor(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("name", equalTo(PREFIX + Layout.record(r.kind(), r.id()).name())));
  }

  /** GCS as the primary, holding {@code r} as the local repository does. */
  private void primaryHolding(BackupRecord r, ResponseDefinitionBuilder firstPartRead)
      throws Exception {
    serve("format.json", ReplicaFixture.contents(local, "format.json").get("format.json"), null);
    String recordKey = Layout.record(r.kind(), r.id()).name();
    Map<String, byte[]> objects = backupObjects(r);
    listing(Layout.CATALOG, Map.of(recordKey, objects.get(recordKey).length));
    listing(Layout.WAL, Map.of());
    for (Map.Entry<String, byte[]> o : objects.entrySet()) {
      serve(o.getKey(), o.getValue(), o.getKey().startsWith(Layout.DATA) ? firstPartRead : null);
    }
  }

  @Test
  void read_connectionResetOnce_retriedAndTheCopyDecrypts() throws Exception {
    BackupRecord r = fixture.backup(local, 50_000);
    primaryHolding(r, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    LocalBlobStore secondary = new LocalBlobStore(dir.resolve("secondary"));

    Replicator.Report report = replicate(gcs, secondary);

    assertThat(report.failed()).as(report.summary()).isFalse();
    assertThat(new Catalog(secondary).list(null)).containsExactly(r);
    assertThat(fixture.readAll(secondary, r)).containsExactly(50_000L, 50_000L / 3);
  }

  @Test
  void read_503Always_backupFailsCleanlyWithNoRecordInTheSecondary() throws Exception {
    BackupRecord r = fixture.backup(local, 50_000);
    primaryHolding(r, null);
    server.stubFor(
        get(urlPathEqualTo("/download" + objectPath(r.parts().get(1).object())))
            .atPriority(1)
            .willReturn(json(503, error(503))));
    LocalBlobStore secondary = new LocalBlobStore(dir.resolve("secondary"));

    Replicator.Report report = replicate(gcs, secondary);

    assertThat(report.failures())
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("globals.sql", "no record was written"));
    assertThat(new Catalog(secondary).list(null)).isEmpty();
    assertThat(secondary.stat(ObjectKey.of(r.parts().get(1).object()))).isEmpty();
  }
}
