package io.aido.backup.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.gcs.GcsStorages;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GCS bucket behind real HTTP: a WireMock server whose one transformer keeps objects in memory
 * and answers the JSON API requests the Java client sends (metadata {@code GET
 * /storage/v1/b/B/o/NAME}, media {@code GET /download/storage/v1/b/B/o/NAME?alt=media} with a
 * range, listing, {@code DELETE}, and resumable uploads: {@code POST /upload/...?uploadType=
 * resumable} then {@code PUT}s with {@code Content-Range}, an object becoming visible only when its
 * last byte arrives, with {@code ifGenerationMatch} preconditions). No real GCS and no emulator can
 * run here; LocalStorageHelper has no HTTP layer to break.
 *
 * <p>Faults are injected per request kind and object, a given number of times: HTTP 429, 503,
 * connection resets before or after the request took effect (a lost response), short bodies (a
 * download that ends early, a chunk of which the server keeps only half) and latency. Each one
 * injected is counted.
 */
final class FakeGcs implements AutoCloseable {
  static final String BUCKET = "bkt";
  static final String PREFIX = "repo/";

  /** The kinds of request a fault can be attached to. */
  enum Call {
    METADATA,
    MEDIA,
    LIST,
    DELETE,
    START_UPLOAD,
    CHUNK,
    FINAL_CHUNK
  }

  /** What a fault does to one request. */
  enum Kind {
    /** HTTP 429, nothing done. */
    THROTTLED,
    /** HTTP 503, nothing done. */
    UNAVAILABLE,
    /** The connection is reset before the request takes effect. */
    RESET,
    /** The request takes effect, then the connection is reset: the client never sees the answer. */
    LOST_RESPONSE,
    /**
     * A download answers half the bytes asked for (a legal 206 the client takes for the end); the
     * server keeps only half of an upload chunk (308 with a shorter range, to be resent).
     */
    SHORT,
    /** The answer comes 150 ms late. */
    SLOW
  }

  private record Rule(Call call, Predicate<String> which, Kind kind, AtomicInteger left) {}

  private record StoredObject(byte[] content, long generation, Instant created) {}

  private static final class Session {
    final String name;
    final Long ifGenerationMatch;
    final ByteArrayOutputStream content = new ByteArrayOutputStream();
    boolean done;

    Session(String name, Long ifGenerationMatch) {
      this.name = name;
      this.ifGenerationMatch = ifGenerationMatch;
    }
  }

  private static final Pattern OBJECT =
      Pattern.compile("^(/download)?/storage/v1/b/([^/]+)/o/(.+)$");
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
  private static final Pattern CONTENT_RANGE =
      Pattern.compile("bytes (\\*|(\\d+)-(\\d+))/(\\*|\\d+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, StoredObject> objects = new TreeMap<>();
  private final Map<String, Session> sessions = new HashMap<>();
  private final List<Rule> rules = new ArrayList<>();
  private final Map<Kind, AtomicInteger> injected = new TreeMap<>();
  private final AtomicLong generations = new AtomicLong(1_700_000_000_000_000L);
  private final AtomicInteger sessionIds = new AtomicInteger();
  private final WireMockServer server;

  FakeGcs() {
    server =
        new WireMockServer(
            options()
                .dynamicPort()
                .gzipDisabled(true)
                .disableRequestJournal()
                .extensions(new Bucket()));
    server.start();
    server.stubFor(any(anyUrl()).willReturn(aResponse().withTransformers(Bucket.NAME)));
  }

  /**
   * A store on this bucket under {@link #PREFIX}, uploading in chunks of 256 KiB, its client
   * retrying up to 5 attempts with millisecond backoff (production waits seconds).
   */
  GcsBlobStore store() {
    return new GcsBlobStore(
        GcsStorages.forEndpoint(
            server.baseUrl(),
            GcsStorages.retrySettings(
                5, Duration.ofMillis(5), Duration.ofMillis(40), Duration.ofSeconds(60))),
        BUCKET,
        PREFIX,
        GcsBlobStore.CHUNK_GRANULARITY);
  }

  /** Injects {@code kind} into the next {@code times} requests of {@code call} on {@code which}. */
  synchronized FakeGcs inject(Call call, Predicate<String> which, Kind kind, int times) {
    rules.add(new Rule(call, which, kind, new AtomicInteger(times)));
    return this;
  }

  /** Injects {@code kind} into every request of {@code call} from now on. */
  FakeGcs always(Call call, Predicate<String> which, Kind kind) {
    return inject(call, which, kind, Integer.MAX_VALUE);
  }

  /** Removes every fault not yet spent. */
  synchronized void clearFaults() {
    rules.clear();
  }

  /** Faults injected so far, by kind. */
  synchronized Map<Kind, Integer> injected() {
    Map<Kind, Integer> copy = new TreeMap<>();
    injected.forEach((k, n) -> copy.put(k, n.get()));
    return copy;
  }

  synchronized int injectedTotal() {
    return injected.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** The visible objects' names (without {@link #PREFIX}) and sizes. */
  synchronized Map<String, Integer> objects() {
    Map<String, Integer> names = new TreeMap<>();
    objects.forEach((n, o) -> names.put(n.substring(PREFIX.length()), o.content().length));
    return names;
  }

  /** Upload sessions started and never finished: data GCS would discard after a week. */
  synchronized int unfinishedUploads() {
    return (int) sessions.values().stream().filter(s -> !s.done).count();
  }

  @Override
  public void close() {
    server.stop();
  }

  private synchronized Kind fault(Call call, String name) {
    for (Rule r : rules) {
      if (r.call() == call && r.which().test(name) && r.left().get() > 0) {
        r.left().decrementAndGet();
        injected.computeIfAbsent(r.kind(), k -> new AtomicInteger()).incrementAndGet();
        return r.kind();
      }
    }
    return null;
  }

  private final class Bucket implements ResponseDefinitionTransformerV2 {
    static final String NAME = "fake-gcs-bucket";

    @Override
    public String getName() {
      return NAME;
    }

    @Override
    public boolean applyGlobally() {
      return false;
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
      try {
        return handle(event.getRequest()).build();
      } catch (RuntimeException e) {
        return error(500, "fake GCS failed: " + e).build();
      }
    }
  }

  private ResponseDefinitionBuilder handle(Request request) {
    URI uri = URI.create(request.getUrl());
    String path = uri.getRawPath();
    Map<String, String> query = query(uri.getRawQuery());
    String method = request.getMethod().getName();
    if (path.startsWith("/upload/")) {
      return method.equals("POST") ? startUpload(request, query) : putChunk(request, query);
    }
    Matcher m = OBJECT.matcher(path);
    if (m.matches()) {
      String name = decode(m.group(3));
      if (m.group(1) != null || "media".equals(query.get("alt"))) {
        return media(request, name);
      }
      return method.equals("DELETE") ? delete(name) : metadata(name);
    }
    if (path.matches("/storage/v1/b/[^/]+/o")) {
      return list(query.getOrDefault("prefix", ""));
    }
    return error(400, "fake GCS does not know " + method + " " + path);
  }

  /** The answer of a fault that stops the request before it takes effect, or null. */
  private static ResponseDefinitionBuilder before(Kind kind) {
    if (kind == null) {
      return null;
    }
    return switch (kind) {
      case THROTTLED -> error(429, "rate limit exceeded (injected)");
      case UNAVAILABLE -> error(503, "backend unavailable (injected)");
      case RESET -> aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
      default -> null;
    };
  }

  /** {@code answer} as the fault changes it after the request took effect. */
  private static ResponseDefinitionBuilder after(Kind kind, ResponseDefinitionBuilder answer) {
    if (kind == Kind.LOST_RESPONSE) {
      return aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
    }
    if (kind == Kind.SLOW) {
      return answer.withFixedDelay(150);
    }
    return answer;
  }

  private ResponseDefinitionBuilder metadata(String name) {
    Kind kind = fault(Call.METADATA, name);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    synchronized (this) {
      StoredObject o = objects.get(name);
      return after(
          kind, o == null ? error(404, "No such object: " + name) : json(200, meta(name, o)));
    }
  }

  private ResponseDefinitionBuilder media(Request request, String name) {
    Kind kind = fault(Call.MEDIA, name);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    StoredObject o;
    synchronized (this) {
      o = objects.get(name);
    }
    if (o == null) {
      return error(404, "No such object: " + name);
    }
    long size = o.content().length;
    long from = 0;
    long to = size - 1;
    String range = request.getHeader("Range");
    if (range != null) {
      Matcher r = RANGE.matcher(range);
      if (r.matches()) {
        from = Long.parseLong(r.group(1));
        if (!r.group(2).isEmpty()) {
          to = Math.min(to, Long.parseLong(r.group(2)));
        }
      }
    }
    if (from >= size) {
      return error(416, "Requested range not satisfiable");
    }
    if (kind == Kind.SHORT) {
      to = from + Math.max(0, (to - from + 1) / 2 - 1);
    }
    byte[] body = new byte[(int) (to - from + 1)];
    System.arraycopy(o.content(), (int) from, body, 0, body.length);
    ResponseDefinitionBuilder answer =
        aResponse()
            .withStatus(range == null ? 200 : 206)
            .withHeader("Content-Type", "application/octet-stream")
            .withHeader("x-goog-generation", Long.toString(o.generation()))
            .withBody(body);
    if (range != null) {
      answer.withHeader("Content-Range", "bytes " + from + "-" + to + "/" + size);
    }
    return after(kind, answer);
  }

  private ResponseDefinitionBuilder list(String prefix) {
    Kind kind = fault(Call.LIST, prefix);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    ObjectNode page = JSON.createObjectNode().put("kind", "storage#objects");
    ArrayNode items = page.putArray("items");
    synchronized (this) {
      objects.forEach(
          (n, o) -> {
            if (n.startsWith(prefix)) {
              items.add(meta(n, o));
            }
          });
    }
    return after(kind, json(200, page));
  }

  private ResponseDefinitionBuilder delete(String name) {
    Kind kind = fault(Call.DELETE, name);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    synchronized (this) {
      if (objects.remove(name) == null) {
        return error(404, "No such object: " + name);
      }
    }
    return after(kind, aResponse().withStatus(204));
  }

  private ResponseDefinitionBuilder startUpload(Request request, Map<String, String> query) {
    String name = query.get("name");
    if (name == null) {
      try {
        name = JSON.readTree(request.getBody()).path("name").asText(null);
      } catch (java.io.IOException e) {
        return error(400, "unreadable upload metadata");
      }
    }
    Kind kind = fault(Call.START_UPLOAD, name);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    Long match =
        query.containsKey("ifGenerationMatch")
            ? Long.parseLong(query.get("ifGenerationMatch"))
            : null;
    String id;
    synchronized (this) {
      if (!preconditionHolds(name, match)) {
        return error(412, "At least one of the pre-conditions you specified did not hold.");
      }
      id = "s" + sessionIds.incrementAndGet();
      sessions.put(id, new Session(name, match));
    }
    return after(
        kind,
        aResponse()
            .withStatus(200)
            .withHeader(
                "Location",
                server.baseUrl()
                    + "/upload/storage/v1/b/"
                    + BUCKET
                    + "/o?uploadType=resumable&upload_id="
                    + id));
  }

  private ResponseDefinitionBuilder putChunk(Request request, Map<String, String> query) {
    Session s;
    synchronized (this) {
      s = sessions.get(query.get("upload_id"));
    }
    if (s == null) {
      return error(404, "no such upload session");
    }
    Matcher m = CONTENT_RANGE.matcher(String.valueOf(request.getHeader("Content-Range")));
    if (!m.matches()) {
      return error(400, "bad Content-Range " + request.getHeader("Content-Range"));
    }
    boolean last = !m.group(4).equals("*");
    Kind kind = fault(last ? Call.FINAL_CHUNK : Call.CHUNK, s.name);
    ResponseDefinitionBuilder stop = before(kind);
    if (stop != null) {
      return stop;
    }
    synchronized (this) {
      if (s.done) {
        StoredObject o = objects.get(s.name);
        return o == null ? error(410, "upload session gone") : json(200, meta(s.name, o));
      }
      byte[] body = request.getBody();
      if (m.group(1).equals("*")) {
        body = new byte[0];
      } else {
        long from = Long.parseLong(m.group(2));
        long have = s.content.size();
        if (from > have) {
          return error(400, "chunk at " + from + " leaves a gap after " + have);
        }
        int skip = (int) (have - from);
        int keep = body.length - Math.min(skip, body.length);
        if (kind == Kind.SHORT && keep > 1) {
          keep /= 2;
          last = false;
        }
        s.content.write(body, Math.min(skip, body.length), keep);
      }
      long total = last ? Long.parseLong(m.group(4)) : -1;
      if (last && s.content.size() == total) {
        if (!preconditionHolds(s.name, s.ifGenerationMatch)) {
          s.done = true;
          return error(412, "At least one of the pre-conditions you specified did not hold.");
        }
        StoredObject o =
            new StoredObject(
                s.content.toByteArray(),
                generations.incrementAndGet(),
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        objects.put(s.name, o);
        s.done = true;
        return after(kind, json(200, meta(s.name, o)));
      }
      ResponseDefinitionBuilder incomplete = aResponse().withStatus(308);
      if (s.content.size() > 0) {
        incomplete.withHeader("Range", "bytes=0-" + (s.content.size() - 1));
      }
      return after(kind, incomplete);
    }
  }

  private boolean preconditionHolds(String name, Long ifGenerationMatch) {
    if (ifGenerationMatch == null) {
      return true;
    }
    StoredObject o = objects.get(name);
    return ifGenerationMatch == 0 ? o == null : o != null && o.generation() == ifGenerationMatch;
  }

  private static ObjectNode meta(String name, StoredObject o) {
    String time = o.created().toString();
    return JSON.createObjectNode()
        .put("kind", "storage#object")
        .put("bucket", BUCKET)
        .put("name", name)
        .put("size", Long.toString(o.content().length))
        .put("generation", Long.toString(o.generation()))
        .put("metageneration", "1")
        .put("contentType", "application/octet-stream")
        .put("timeCreated", time)
        .put("updated", time);
  }

  private static ResponseDefinitionBuilder json(int status, Object body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body.toString());
  }

  private static ResponseDefinitionBuilder error(int code, String message) {
    ObjectNode e = JSON.createObjectNode();
    e.putObject("error").put("code", code).put("message", message);
    return json(code, e);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        q.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      }
    }
    return q;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
