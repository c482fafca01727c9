package io.aido.backup.core.storage.gcs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectChangedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GcsBlobStore} against HTTP-level faults. WireMock is a test double for the GCS JSON API,
 * because no real GCS can run here and LocalStorageHelper has no HTTP layer to break. The stubs
 * follow the requests the client really sends: {@code GET /storage/v1/b/B/o/NAME} for metadata,
 * {@code POST /upload/storage/v1/b/B/o?uploadType=resumable&ifGenerationMatch=0&name=NAME} to start
 * a resumable session, then {@code PUT} to the session URI with {@code Content-Range: bytes a-b/*}
 * for a chunk (answered 308) and {@code bytes a-b/TOTAL} for the finalizing one (answered 200).
 */
class GcsBlobStoreHttpFaultsTest {
  private static final String BUCKET = "bkt";
  private static final String NAME = "repo/data/db-logical/id/part-0";
  private static final String OBJECT_PATH =
      "/storage/v1/b/bkt/o/repo%2Fdata%2Fdb-logical%2Fid%2Fpart-0";
  private static final String MEDIA_PATH = "/download" + OBJECT_PATH;
  private static final String UPLOAD_PATH = "/upload/storage/v1/b/bkt/o";
  private static final ObjectKey KEY = ObjectKey.of("data/db-logical/id/part-0");
  private static final int CHUNK = GcsBlobStore.CHUNK_GRANULARITY;

  private WireMockServer server;
  private GcsBlobStore store;

  @BeforeEach
  void start() {
    // real GCS never gzips an object stored without Content-Encoding: gzip, so neither may the
    // double
    server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
    server.start();
    // backoff of milliseconds keeps the retry tests fast; production uses seconds
    store =
        new GcsBlobStore(
            GcsStorages.forEndpoint(
                server.baseUrl(),
                GcsStorages.retrySettings(
                    4, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(20))),
            BUCKET,
            "repo",
            CHUNK);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  private static String objectJson(long size) {
    return "{\"bucket\":\"bkt\",\"name\":\""
        + NAME
        + "\",\"size\":\""
        + size
        + "\",\"generation\":\"1700000000000001\",\"timeCreated\":\"2026-11-24T02:00:00.000Z\"}";
  }

  private static String error(int code, String message) {
    return "{\"error\":{\"code\":" + code + ",\"message\":\"" + message + "\"}}";
  }

  /** Metadata reads say "no such object" until the scenario reaches {@code created}. */
  private void objectAppearsOnFinalize(long size) {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .inScenario("object")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(json(404, error(404, "No such object"))));
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .inScenario("object")
            .whenScenarioStateIs("created")
            .willReturn(json(200, objectJson(size))));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("upload_id", equalTo("s1"))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/" + size))
            .inScenario("object")
            .willSetStateTo("created")
            .willReturn(json(200, objectJson(size))));
  }

  private ResponseDefinitionBuilder sessionStarted() {
    return aResponse()
        .withStatus(200)
        .withHeader(
            "Location", server.baseUrl() + UPLOAD_PATH + "?uploadType=resumable&upload_id=s1");
  }

  /** A resumable-upload PUT that names the total size: the one that makes the object visible. */
  private static boolean isFinalizing(LoggedRequest r) {
    String range = r.getHeader("Content-Range");
    return range != null && range.matches("bytes \\d+-\\d+/\\d+");
  }

  private List<LoggedRequest> finalizingPuts() {
    return server.findAll(putRequestedFor(urlPathEqualTo(UPLOAD_PATH))).stream()
        .filter(GcsBlobStoreHttpFaultsTest::isFinalizing)
        .toList();
  }

  @Test
  void create_429ThenSuccess_isRetriedAndCreatesObject() throws IOException {
    objectAppearsOnFinalize(1000);
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("ifGenerationMatch", equalTo("0"))
            .withQueryParam("uploadType", equalTo("resumable"))
            .inScenario("throttle")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("throttled once")
            .willReturn(json(429, error(429, "rate limit exceeded"))));
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("ifGenerationMatch", equalTo("0"))
            .inScenario("throttle")
            .whenScenarioStateIs("throttled once")
            .willReturn(sessionStarted()));

    ObjectInfo info = store.create(KEY, new ByteArrayInputStream(new byte[1000]));

    assertThat(info).isEqualTo(new ObjectInfo(KEY, 1000, Instant.parse("2026-11-24T02:00:00Z")));
    server.verify(2, postRequestedFor(urlPathEqualTo(UPLOAD_PATH)));
    assertThat(finalizingPuts()).hasSize(1);
  }

  @Test
  void create_503OnFinalChunkThenSuccess_isRetriedAndCreatesObject() throws IOException {
    objectAppearsOnFinalize(1000);
    server.stubFor(post(urlPathEqualTo(UPLOAD_PATH)).willReturn(sessionStarted()));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/1000"))
            .inScenario("object")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("unavailable once")
            .willReturn(json(503, error(503, "backend unavailable"))));
    // the client asks how much the session holds before resending: nothing yet
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\*/.*"))
            .willReturn(aResponse().withStatus(308)));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/1000"))
            .inScenario("object")
            .whenScenarioStateIs("unavailable once")
            .willSetStateTo("created")
            .willReturn(json(200, objectJson(1000))));

    ObjectInfo info = store.create(KEY, new ByteArrayInputStream(new byte[1000]));

    assertThat(info.size()).isEqualTo(1000);
    assertThat(finalizingPuts()).hasSize(2);
  }

  @Test
  void stat_503ThenSuccess_isRetried() throws IOException {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .inScenario("flaky")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("recovered")
            .willReturn(json(503, error(503, "backend unavailable"))));
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .inScenario("flaky")
            .whenScenarioStateIs("recovered")
            .willReturn(json(200, objectJson(42))));

    assertThat(store.stat(KEY)).get().extracting(ObjectInfo::size).isEqualTo(42L);
  }

  @Test
  void stat_503Always_failsNamingObjectAfterRetries() {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH)).willReturn(json(503, error(503, "backend unavailable"))));

    assertThatThrownBy(() -> store.stat(KEY))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unable to stat object 'data/db-logical/id/part-0' in gs://bkt/repo");
    assertThat(server.findAll(getRequestedFor(urlPathEqualTo(OBJECT_PATH)))).hasSize(4);
  }

  @Test
  void create_connectionResetOnFinalChunk_failsAndNoObjectIsFinalized() throws IOException {
    int size = CHUNK + 1000;
    objectAppearsOnFinalize(size);
    server.stubFor(post(urlPathEqualTo(UPLOAD_PATH)).willReturn(sessionStarted()));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", equalTo("bytes 0-" + (CHUNK - 1) + "/*"))
            .willReturn(aResponse().withStatus(308).withHeader("Range", "bytes=0-" + (CHUNK - 1))));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\*/.*"))
            .willReturn(aResponse().withStatus(308).withHeader("Range", "bytes=0-" + (CHUNK - 1))));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/" + size))
            .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    assertThatThrownBy(() -> store.create(KEY, new ByteArrayInputStream(new byte[size])))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(ObjectExistsException.class)
        .hasMessageContaining(
            "unable to create object 'data/db-logical/id/part-0' in gs://bkt/repo");

    // every finalizing attempt (the first and its retries) died with the connection, so GCS
    // never accepted the last byte; WireMock logs a fault as status 200, hence the fault check
    List<ServeEvent> finalizing =
        server.getAllServeEvents().stream().filter(e -> isFinalizing(e.getRequest())).toList();
    assertThat(finalizing).hasSizeGreaterThan(1);
    assertThat(finalizing)
        .allMatch(e -> e.getResponseDefinition().getFault() == Fault.CONNECTION_RESET_BY_PEER);
    assertThat(store.stat(KEY)).isEmpty();
  }

  @Test
  void create_contentStreamFailsAfterFirstChunk_neverSendsFinalizingRequest() throws IOException {
    objectAppearsOnFinalize(2 * CHUNK);
    server.stubFor(post(urlPathEqualTo(UPLOAD_PATH)).willReturn(sessionStarted()));
    server.stubFor(
        put(urlPathEqualTo(UPLOAD_PATH))
            .withHeader("Content-Range", matching("bytes \\d+-\\d+/\\*"))
            .willReturn(aResponse().withStatus(308).withHeader("Range", "bytes=0-" + (CHUNK - 1))));
    InputStream breaksAfterOneChunk =
        new SequenceInputStream(
            new ByteArrayInputStream(new byte[CHUNK + 5000]),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("pg_dump exited with status 1");
              }
            });

    assertThatThrownBy(() -> store.create(KEY, breaksAfterOneChunk))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("pg_dump exited with status 1");

    server.verify(1, putRequestedFor(urlPathEqualTo(UPLOAD_PATH)));
    assertThat(finalizingPuts()).isEmpty();
    assertThat(store.stat(KEY)).isEmpty();
  }

  @Test
  void create_preconditionFailed412_isObjectExists() {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH)).willReturn(json(404, error(404, "No such object"))));
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .willReturn(
                json(
                    412,
                    error(412, "At least one of the pre-conditions you specified did not hold."))));

    assertThatThrownBy(() -> store.create(KEY, new ByteArrayInputStream(new byte[10])))
        .isInstanceOf(ObjectExistsException.class)
        .hasMessageContaining("already exists");
    assertThat(finalizingPuts()).isEmpty();
  }

  @Test
  void replace_generationChangedMeanwhile412_isObjectChangedAndNothingFinalized()
      throws IOException {
    server.stubFor(get(urlPathEqualTo(OBJECT_PATH)).willReturn(json(200, objectJson(10))));
    server.stubFor(
        post(urlPathEqualTo(UPLOAD_PATH))
            .withQueryParam("ifGenerationMatch", equalTo("1700000000000001"))
            .willReturn(
                json(
                    412,
                    error(412, "At least one of the pre-conditions you specified did not hold."))));
    ObjectInfo read = store.stat(KEY).orElseThrow();

    assertThatThrownBy(() -> store.replace(KEY, read, new ByteArrayInputStream(new byte[12])))
        .isInstanceOf(ObjectChangedException.class)
        .hasMessageContaining("'" + KEY + "'")
        .hasMessageContaining("changed since it was read");
    assertThat(finalizingPuts()).isEmpty();
  }

  @Test
  void open_range_asksForExactlyThoseBytesOfTheGeneration() throws IOException {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .withQueryParam("projection", equalTo("full"))
            .willReturn(json(200, objectJson(100))));
    server.stubFor(
        get(urlPathEqualTo(MEDIA_PATH))
            .withQueryParam("alt", equalTo("media"))
            .willReturn(
                aResponse()
                    .withStatus(206)
                    .withHeader("Content-Range", "bytes 10-19/100")
                    .withBody("0123456789")));

    byte[] got;
    try (InputStream in = store.open(KEY, 10, 10)) {
      got = in.readAllBytes();
    }

    assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("0123456789");
    LoggedRequest media =
        server
            .findAll(
                getRequestedFor(urlPathEqualTo(MEDIA_PATH)).withQueryParam("alt", equalTo("media")))
            .get(0);
    assertThat(media.getHeader("Range")).isEqualTo("bytes=10-19");
    assertThat(media.queryParameter("generation").firstValue()).isEqualTo("1700000000000001");
  }

  @Test
  void open_downloadEndsBeforeTheRange_raisesIOExceptionInsteadOfAShortStream() throws IOException {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .withQueryParam("projection", equalTo("full"))
            .willReturn(json(200, objectJson(100))));
    // the server answers fewer bytes than asked for; the client takes that for the end
    server.stubFor(
        get(urlPathEqualTo(MEDIA_PATH))
            .withQueryParam("alt", equalTo("media"))
            .willReturn(
                aResponse()
                    .withStatus(206)
                    .withHeader("Content-Range", "bytes 0-39/100")
                    .withBody(new byte[40])));

    try (InputStream in = store.open(KEY, 0, -1)) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining(
              "unable to read object 'data/db-logical/id/part-0' in gs://bkt/repo: the download"
                  + " ended after 40 of 100 bytes");
    }
  }

  @Test
  void open_mediaReadFails_raisesIOExceptionNamingObject() throws IOException {
    server.stubFor(
        get(urlPathEqualTo(OBJECT_PATH))
            .withQueryParam("projection", equalTo("full"))
            .willReturn(json(200, objectJson(100))));
    server.stubFor(
        get(urlPathEqualTo(MEDIA_PATH))
            .withQueryParam("alt", equalTo("media"))
            .willReturn(json(404, error(404, "No such object"))));

    try (InputStream in = store.open(KEY, 0, -1)) {
      assertThatThrownBy(in::read)
          .isInstanceOf(IOException.class)
          .hasMessageContaining(
              "unable to read object 'data/db-logical/id/part-0' in gs://bkt/repo");
    }
  }

  @Test
  void delete_retentionPolicy403_isDeletionRefused() {
    server.stubFor(
        delete(urlPathEqualTo(OBJECT_PATH))
            .willReturn(
                json(
                    403,
                    error(
                        403,
                        "Object 'repo/data/db-logical/id/part-0' is subject to bucket's retention policy or object retention and cannot be deleted or overwritten"))));

    assertThatThrownBy(() -> store.delete(KEY))
        .isInstanceOf(DeletionRefusedException.class)
        .hasMessageContaining(
            "unable to delete object 'data/db-logical/id/part-0' in gs://bkt/repo")
        .hasMessageContaining("retention policy");
  }

  @Test
  void delete_missing404_succeeds() throws IOException {
    server.stubFor(
        delete(urlPathEqualTo(OBJECT_PATH)).willReturn(json(404, error(404, "No such object"))));

    store.delete(KEY);

    server.verify(1, deleteRequestedFor(urlPathEqualTo(OBJECT_PATH)));
  }
}
