package io.aido.backup.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A Kubernetes API for tests: fabric8's mock server in CRUD mode, because no real API server can
 * run on the build machine. CRUD mode keeps objects but lacks four things an API server does, which
 * this class adds in front of it, as plainly as possible:
 *
 * <ul>
 *   <li>discovery ({@code /api/v1}, {@code /apis}, {@code /apis/<group>/<version>}): a fixed list
 *       of built-in types, plus the types of every CRD stored in the mock, at their storage
 *       version;
 *   <li>server-side apply ({@code PATCH} with {@code application/apply-patch+yaml}), answered as
 *       create when the object is missing and as a JSON merge patch when it exists, which is what
 *       apply does for a single field manager setting fields; and its conflicts, for fields set by
 *       a merge patch that named a field manager (as {@code kubectl patch} does): an apply without
 *       {@code force=true} that would give such a field another value is refused with 409 Conflict
 *       naming the manager and the field, as an API server refuses it;
 *   <li>paging: a list with {@code limit} returns that many items and a {@code continue} token, as
 *       an API server does (CRUD mode returns everything at once);
 *   <li>the apiextensions controller: a CRD created or changed is marked {@code Established} (can
 *       be turned off, to test the wait).
 * </ul>
 *
 * <p>Every request is recorded ({@link #requests()}) as {@code METHOD path content-type}.
 */
public final class MockCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APPLY = "application/apply-patch+yaml";

  /** group/version -> resources (plural, kind, namespaced, verbs). */
  private static final Map<String, List<String[]>> BUILT_IN = new LinkedHashMap<>();

  static {
    String all = "create,delete,get,list,patch,update,watch";
    builtIn("v1", "namespaces", "Namespace", false, all);
    builtIn("v1", "configmaps", "ConfigMap", true, all);
    builtIn("v1", "secrets", "Secret", true, all);
    builtIn("v1", "serviceaccounts", "ServiceAccount", true, all);
    builtIn("v1", "services", "Service", true, all);
    builtIn("v1", "endpoints", "Endpoints", true, all);
    builtIn("v1", "events", "Event", true, all);
    builtIn("v1", "pods", "Pod", true, all);
    builtIn("v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, all);
    builtIn("v1", "persistentvolumes", "PersistentVolume", false, all);
    builtIn("v1", "bindings", "Binding", true, "create");
    builtIn("v1", "componentstatuses", "ComponentStatus", false, "get,list");
    builtIn("apps/v1", "deployments", "Deployment", true, all);
    builtIn("apps/v1", "deployments/scale", "Scale", true, "get,patch,update");
    builtIn("apps/v1", "replicasets", "ReplicaSet", true, all);
    builtIn("apps/v1", "statefulsets", "StatefulSet", true, all);
    builtIn("apps/v1", "controllerrevisions", "ControllerRevision", true, all);
    builtIn("batch/v1", "jobs", "Job", true, all);
    builtIn("batch/v1", "cronjobs", "CronJob", true, all);
    builtIn("networking.k8s.io/v1", "ingresses", "Ingress", true, all);
    builtIn("networking.k8s.io/v1", "ingressclasses", "IngressClass", false, all);
    builtIn("rbac.authorization.k8s.io/v1", "roles", "Role", true, all);
    builtIn("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true, all);
    builtIn("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false, all);
    builtIn(
        "rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false, all);
    builtIn("coordination.k8s.io/v1", "leases", "Lease", true, all);
    builtIn("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", true, all);
    builtIn("events.k8s.io/v1", "events", "Event", true, all);
    builtIn("storage.k8s.io/v1", "storageclasses", "StorageClass", false, all);
    builtIn("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", false, all);
    builtIn(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        all);
  }

  private static void builtIn(
      String groupVersion, String plural, String kind, boolean namespaced, String verbs) {
    BUILT_IN
        .computeIfAbsent(groupVersion, k -> new ArrayList<>())
        .add(new String[] {plural, kind, Boolean.toString(namespaced), verbs});
  }

  private final KubernetesMockServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile boolean establishCrds = true;
  private volatile long listDelayMillis;
  private final Map<String, Integer> refused = new java.util.concurrent.ConcurrentHashMap<>();

  /** object path -> (field path -> field manager), for the fields merge patches set. */
  private final Map<String, Map<String, String>> owners =
      new java.util.concurrent.ConcurrentHashMap<>();

  private MockCluster() {
    Dispatcher dispatcher = new Dispatcher();
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
  }

  public static MockCluster start() {
    return new MockCluster();
  }

  /** A new client of this cluster; the caller closes it. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(Config.empty())
                .withMasterUrl(server.url("/"))
                .withNamespace("default")
                .withRequestRetryBackoffLimit(0)
                .build())
        .build();
  }

  /** The API server's address, such as {@code http://localhost:41234/}. */
  public String url() {
    return server.url("/");
  }

  /** What the job uses to open clients of this cluster. */
  public Supplier<KubernetesClient> clients() {
    return this::client;
  }

  List<String> requests() {
    return requests;
  }

  /** Whether CRDs become Established when stored (the default) or never. */
  void establishCrds(boolean establish) {
    this.establishCrds = establish;
  }

  /** Delays every paged list response by {@code millis}, like a slow or distant API server. */
  void delayLists(long millis) {
    this.listDelayMillis = millis;
  }

  /** Answers every GET of a path starting with {@code prefix} with {@code code} from now on. */
  void refuse(String prefix, int code) {
    refused.put(prefix, code);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      server.destroy();
    }
  }

  private boolean closed;

  private final class Dispatcher extends KubernetesMixedDispatcher {
    Dispatcher() {
      super(new HashMap<>());
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String contentType = request.getHeader("Content-Type");
      requests.add(
          request.getMethod()
              + " "
              + request.getPath()
              + (contentType == null ? "" : " " + contentType));
      String path = request.getPath();
      String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
      try {
        for (Map.Entry<String, Integer> r : refused.entrySet()) {
          if (request.method() == HttpMethod.GET && bare.startsWith(r.getKey())) {
            ObjectNode status =
                JSON.createObjectNode()
                    .put("kind", "Status")
                    .put("apiVersion", "v1")
                    .put("status", "Failure")
                    .put("code", r.getValue())
                    .put("reason", r.getValue() == 403 ? "Forbidden" : "Refused")
                    .put("message", "refused by the test");
            return json(r.getValue(), status);
          }
        }
        if (request.method() == HttpMethod.GET) {
          JsonNode discovery = discovery(bare);
          if (discovery != null) {
            return json(200, discovery);
          }
        }
        if (request.method() == HttpMethod.PATCH
            && contentType != null
            && contentType.startsWith(APPLY)) {
          return apply(bare, path, request);
        }
        String manager = query(path, "fieldManager");
        // reading the body consumes it: the patch is dispatched again from the text
        String patch =
            request.method() == HttpMethod.PATCH && manager != null ? request.getUtf8Body() : null;
        MockResponse response =
            super.dispatch(
                patch == null ? request : call(HttpMethod.PATCH, path, contentType, patch));
        if (patch != null && response.code() / 100 == 2) {
          Map<String, JsonNode> fields = new LinkedHashMap<>();
          leaves("", JSON.readTree(patch), fields);
          Map<String, String> owned = owners.computeIfAbsent(bare, k -> new HashMap<>());
          fields.keySet().forEach(f -> owned.put(f, manager));
        }
        if (request.method() == HttpMethod.GET && path.contains("limit=")) {
          MockResponse page = page(response, path);
          return listDelayMillis > 0
              ? page.setBodyDelay(java.time.Duration.ofMillis(listDelayMillis))
              : page;
        }
        if (request.method() == HttpMethod.POST && bare.endsWith("/customresourcedefinitions")) {
          establish(response);
        }
        return response;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * Cuts a list into pages as an API server does for {@code limit} and {@code continue} (the
     * token here is the offset of the next item).
     */
    private MockResponse page(MockResponse response, String path) throws IOException {
      if (response.code() != 200) {
        return response;
      }
      JsonNode list = JSON.readTree(response.getBody().getBytes());
      if (!(list instanceof ObjectNode node) || !list.path("items").isArray()) {
        return response;
      }
      int limit = Integer.parseInt(query(path, "limit"));
      String token = query(path, "continue");
      int from = token == null ? 0 : Integer.parseInt(token);
      // an API server lists in key order (namespace, then name); CRUD mode in insertion order
      List<JsonNode> items = new ArrayList<>();
      list.path("items").forEach(items::add);
      items.sort(
          java.util.Comparator.comparing(
                  (JsonNode i) -> i.path("metadata").path("namespace").asText(""))
              .thenComparing(i -> i.path("metadata").path("name").asText("")));
      ArrayNode page = JSON.createArrayNode();
      for (int i = from; i < Math.min(items.size(), from + limit); i++) {
        page.add(items.get(i));
      }
      node.set("items", page);
      ObjectNode metadata =
          node.get("metadata") instanceof ObjectNode m ? m : node.putObject("metadata");
      if (from + limit < items.size()) {
        metadata.put("continue", Integer.toString(from + limit));
        metadata.put("remainingItemCount", items.size() - from - limit);
      } else {
        metadata.remove("continue");
      }
      return json(200, node);
    }

    private static String query(String path, String name) {
      int q = path.indexOf('?');
      if (q < 0) {
        return null;
      }
      for (String pair : path.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equals(name)) {
          return java.net.URLDecoder.decode(
              pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
        }
      }
      return null;
    }

    private MockResponse apply(String bare, String path, RecordedRequest request)
        throws IOException {
      String body = request.getUtf8Body();
      MockResponse existing = super.dispatch(call(HttpMethod.GET, bare, null, null));
      String manager = query(path, "fieldManager");
      Map<String, String> owned = owners.getOrDefault(bare, Map.of());
      if (existing.code() == 200 && !owned.isEmpty()) {
        Map<String, JsonNode> wanted = new LinkedHashMap<>();
        leaves("", JSON.readTree(body), wanted);
        Map<String, JsonNode> live = new LinkedHashMap<>();
        leaves("", JSON.readTree(existing.getBody().getBytes()), live);
        List<String> conflicts = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : wanted.entrySet()) {
          String owner = owned.get(f.getKey());
          if (owner != null
              && !owner.equals(manager)
              && !f.getValue().equals(live.get(f.getKey()))) {
            conflicts.add("conflict with \"" + owner + "\": ." + f.getKey());
          }
        }
        if (!conflicts.isEmpty() && !"true".equals(query(path, "force"))) {
          ObjectNode status =
              JSON.createObjectNode()
                  .put("kind", "Status")
                  .put("apiVersion", "v1")
                  .put("status", "Failure")
                  .put("code", 409)
                  .put("reason", "Conflict")
                  .put(
                      "message",
                      "Apply failed with "
                          + conflicts.size()
                          + " conflict(s): "
                          + String.join(", ", conflicts));
          return json(409, status);
        }
        wanted.keySet().forEach(owned::remove);
      }
      MockResponse response;
      if (existing.code() == 404) {
        String collection = bare.substring(0, bare.lastIndexOf('/'));
        response = super.dispatch(call(HttpMethod.POST, collection, "application/json", body));
      } else {
        response =
            super.dispatch(call(HttpMethod.PATCH, bare, "application/merge-patch+json", body));
      }
      if (bare.contains("/customresourcedefinitions/")) {
        establish(response);
      }
      return response;
    }

    /** The leaf fields of {@code node} by dotted path; a list counts as one field. */
    private static void leaves(String prefix, JsonNode node, Map<String, JsonNode> out) {
      if (node != null && node.isObject()) {
        node.fields()
            .forEachRemaining(
                e ->
                    leaves(
                        prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                        e.getValue(),
                        out));
      } else if (!prefix.isEmpty()) {
        out.put(prefix, node);
      }
    }

    private void establish(MockResponse stored) throws IOException {
      if (!establishCrds || stored.code() >= 300) {
        return;
      }
      JsonNode crd = JSON.readTree(stored.getBody().getBytes());
      String name = crd.path("metadata").path("name").asText();
      ObjectNode patch = JSON.createObjectNode();
      ArrayNode conditions = patch.putObject("status").putArray("conditions");
      conditions.addObject().put("type", "Established").put("status", "True");
      super.dispatch(
          call(
              HttpMethod.PATCH,
              "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name,
              "application/merge-patch+json",
              JSON.writeValueAsString(patch)));
    }

    private RecordedRequest call(HttpMethod method, String path, String contentType, String body) {
      Headers.Builder headers = Headers.builder();
      if (contentType != null) {
        headers.add("Content-Type", contentType);
      }
      Buffer buffer = new Buffer();
      if (body != null) {
        buffer.writeUtf8(body);
      }
      return new RecordedRequest("HTTP/1.1", method, path, headers.build(), buffer);
    }

    private JsonNode discovery(String path) throws IOException {
      if (path.equals("/api")) {
        ObjectNode versions = JSON.createObjectNode().put("kind", "APIVersions");
        versions.putArray("versions").add("v1");
        return versions;
      }
      if (path.equals("/version")) {
        return JSON.createObjectNode()
            .put("major", "1")
            .put("minor", "31")
            .put("gitVersion", "v1.31.0-mock");
      }
      Map<String, List<String[]>> served = served();
      if (path.equals("/api/v1")) {
        return resourceList("v1", served.get("v1"));
      }
      if (path.equals("/apis")) {
        ObjectNode list =
            JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        for (String gv : served.keySet()) {
          if (!gv.contains("/")) {
            continue;
          }
          String group = gv.substring(0, gv.indexOf('/'));
          ObjectNode g = groups.addObject().put("name", group);
          ObjectNode version =
              JSON.createObjectNode()
                  .put("groupVersion", gv)
                  .put("version", gv.substring(gv.indexOf('/') + 1));
          g.putArray("versions").add(version);
          g.set("preferredVersion", version);
        }
        return list;
      }
      String[] segments = path.split("/");
      if (segments.length == 3 && segments[1].equals("apis")) {
        // one group (/apis/dapr.io): its versions, the last served preferred
        ObjectNode g = JSON.createObjectNode().put("kind", "APIGroup").put("apiVersion", "v1");
        g.put("name", segments[2]);
        ArrayNode versions = g.putArray("versions");
        for (String gv : served.keySet()) {
          if (gv.startsWith(segments[2] + "/")) {
            ObjectNode version =
                JSON.createObjectNode()
                    .put("groupVersion", gv)
                    .put("version", gv.substring(gv.indexOf('/') + 1));
            versions.add(version);
            g.set("preferredVersion", version);
          }
        }
        return versions.isEmpty() ? null : g;
      }
      if (segments.length == 4 && segments[1].equals("apis")) {
        String gv = segments[2] + "/" + segments[3];
        return served.containsKey(gv) ? resourceList(gv, served.get(gv)) : null;
      }
      return null;
    }

    private Map<String, List<String[]>> served() throws IOException {
      Map<String, List<String[]>> served = new LinkedHashMap<>(BUILT_IN);
      MockResponse crds =
          super.dispatch(
              call(
                  HttpMethod.GET,
                  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                  null,
                  null));
      if (crds.code() != 200) {
        return served;
      }
      for (JsonNode crd : JSON.readTree(crds.getBody().getBytes()).path("items")) {
        JsonNode spec = crd.path("spec");
        for (JsonNode version : spec.path("versions")) {
          if (version.path("storage").asBoolean()) {
            served
                .computeIfAbsent(
                    spec.path("group").asText() + "/" + version.path("name").asText(),
                    k -> new ArrayList<>())
                .add(
                    new String[] {
                      spec.path("names").path("plural").asText(),
                      spec.path("names").path("kind").asText(),
                      Boolean.toString("Namespaced".equals(spec.path("scope").asText())),
                      "create,delete,get,list,patch,update,watch"
                    });
          }
        }
      }
      return served;
    }

    private JsonNode resourceList(String groupVersion, List<String[]> resources) {
      ObjectNode list =
          JSON.createObjectNode()
              .put("kind", "APIResourceList")
              .put("apiVersion", "v1")
              .put("groupVersion", groupVersion);
      ArrayNode items = list.putArray("resources");
      for (String[] r : resources) {
        ObjectNode item =
            items
                .addObject()
                .put("name", r[0])
                .put("kind", r[1])
                .put("namespaced", Boolean.parseBoolean(r[2]));
        ArrayNode verbs = item.putArray("verbs");
        for (String v : r[3].split(",")) {
          verbs.add(v);
        }
      }
      return list;
    }

    private MockResponse json(int code, JsonNode body) throws IOException {
      return new MockResponse()
          .setResponseCode(code)
          .setHeader("Content-Type", "application/json")
          .setBody(JSON.writeValueAsString(body));
    }
  }
}
